package dev.oneloop.backend.epoll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

/**
 * Reads, from {@code /proc}, the event mask that this process's epoll instances hold for a TCP
 * socket: what the kernel was actually told, independent of the backend's own bookkeeping.
 */
final class KernelEpollInterest {

    private KernelEpollInterest() {
    }

    /** The mask registered for the socket bound to {@code localPort} and connected to {@code remotePort}. */
    static OptionalInt ofSocket(int localPort, int remotePort) throws IOException {
        long inode = socketInode(localPort, remotePort);
        if (inode < 0) {
            return OptionalInt.empty();
        }
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) descriptors::iterator) {
                if (!isEpoll(fd)) {
                    continue;
                }
                // fs/eventpoll.c ep_show_fdinfo: "tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x"
                for (String line : readLines(Path.of("/proc/self/fdinfo").resolve(fd.getFileName()))) {
                    List<String> fields = List.of(line.trim().split("\\s+"));
                    int events = fields.indexOf("events:");
                    if (fields.getFirst().equals("tfd:") && events > 0 && fields.contains("ino:" + Long.toHexString(inode))) {
                        return OptionalInt.of(Integer.parseUnsignedInt(fields.get(events + 1), 16));
                    }
                }
            }
        }
        return OptionalInt.empty();
    }

    private static boolean isEpoll(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().equals("anon_inode:[eventpoll]");
        } catch (IOException e) {
            return false; // closed since it was listed
        }
    }

    /** From /proc/net/tcp{,6}: "sl local_address rem_address st ... uid timeout inode", ports in hex. */
    private static long socketInode(int localPort, int remotePort) throws IOException {
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : readLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 9 && fields[1].contains(":") && port(fields[1]) == localPort && port(fields[2]) == remotePort) {
                    return Long.parseLong(fields[9]);
                }
            }
        }
        return -1;
    }

    private static int port(String hexAddress) {
        return Integer.parseInt(hexAddress.substring(hexAddress.lastIndexOf(':') + 1), 16);
    }

    private static List<String> readLines(Path path) throws IOException {
        try {
            return Files.readAllLines(path);
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        }
    }
}
