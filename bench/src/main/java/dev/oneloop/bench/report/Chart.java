package dev.oneloop.bench.report;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.ToDoubleFunction;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import dev.oneloop.bench.load.LoadResult;

/** The report's PNG: server CPU per message (top) and throughput (bottom), per workload and server, medians. */
final class Chart {

    private Chart() {
    }

    static void write(Path file, List<Report.Row> rows, List<Cell> cells, Collection<String> servers) throws IOException {
        CategoryAxis workloads = new CategoryAxis("workload");
        workloads.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(workloads);
        plot.setGap(12);
        plot.add(subplot(rows, cells, servers, "server CPU µs per message (lower is better)", LoadResult::serverCpuMicrosPerMessage, true), 1);
        plot.add(subplot(rows, cells, servers, "throughput, messages/s", LoadResult::throughput, false), 1);
        JFreeChart chart = new JFreeChart("oneloop echo comparison — medians over repetitions",
                new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1400, 1000);
    }

    /** One hue per family (oneloop blue, Netty orange, virtual threads green, C grey), a shade per transport. */
    static Color colour(String server) {
        int shade = server.endsWith("iouring") ? 0 : server.endsWith("epoll") ? 1 : 2;
        if (server.startsWith("oneloop")) {
            return new Color[] {new Color(0x08519c), new Color(0x3182bd), new Color(0x9ecae1)}[shade];
        }
        if (server.startsWith("netty")) {
            return new Color[] {new Color(0xa63603), new Color(0xe6550d), new Color(0xfdae6b)}[shade];
        }
        if (server.startsWith("c-")) {
            return new Color[] {new Color(0x252525), new Color(0x737373), new Color(0xbdbdbd)}[shade];
        }
        if (server.startsWith("vthread")) {
            return new Color(0x31a354);
        }
        return Color.getHSBColor((server.hashCode() & 0xff) / 255f, 0.6f, 0.8f);
    }

    private static CategoryPlot subplot(List<Report.Row> rows, List<Cell> cells, Collection<String> servers, String label,
            ToDoubleFunction<LoadResult> figure, boolean inLegend) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Cell cell : cells) {
            for (String server : servers) {
                rows.stream().filter(r -> r.server().equals(server) && r.cell().equals(cell)).findFirst()
                        .map(r -> r.stat(figure).median()).filter(v -> !Double.isNaN(v))
                        .ifPresent(v -> data.addValue(v, server, cell.label()));
            }
        }
        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.05);
        bars.setDefaultSeriesVisibleInLegend(inLegend);
        for (int i = 0; i < data.getRowCount(); i++) {
            bars.setSeriesPaint(i, colour(data.getRowKey(i).toString()));
        }
        CategoryPlot plot = new CategoryPlot(data, null, new NumberAxis(label), bars);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }
}
