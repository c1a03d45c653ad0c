package dev.oneloop.bench.report;

/** One workload of the comparison: this many connections sending messages of this size. */
record Cell(int connections, int size) {

    String label() {
        return connections + " conn × " + (size % 1024 == 0 ? size / 1024 + " KiB" : size + " B");
    }
}
