package io.collabpipeline.tools.cost;

import io.collabpipeline.pipelines.UsageException;
import io.collabpipeline.tools.benchmark.BenchmarkResults;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The cost command: {@code bin/collab-cost --benchmark=FILE [--name=value ...]
 * [--format=text|markdown] [--prices=FILE]}. Prints the monthly cost per component (quantity, unit
 * price, USD), the total against the budget and the aim, the sizing behind it, every assumption and
 * the price table with its date and sources. The graph's throughput figures come from a benchmark
 * results file or from explicit options, never from a default.
 */
public final class CollabCost {
  private CollabCost() {}

  static final String USAGE =
      "bin/collab-cost --benchmark=FILE | --streamEventsPerSecondPerCore=N"
          + " --replayEventsPerSecondPerCore=N [--name=value ...] [--format=text|markdown]"
          + " [--prices=FILE]";

  public static void main(String[] args) {
    System.exit(exec(args, System.out, System.err));
  }

  /** The command's exit code: 0, or 2 after a one-line message on {@code err} for a bad call. */
  public static int exec(String[] args, PrintStream out, PrintStream err) {
    try {
      return run(args, out);
    } catch (UsageException e) {
      err.println("collab-cost: " + e.getMessage());
      return 2;
    }
  }

  /** Runs the command; a mistake in the call is a {@link UsageException} (exit 2 in main). */
  public static int run(String[] args, PrintStream out) {
    Assumptions a = new Assumptions();
    String format = "text";
    String benchmark = null;
    Prices prices = null;
    List<String[]> explicit = new ArrayList<>();
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h")) {
        out.println("usage: " + USAGE);
        out.println("options (default):");
        out.print(Assumptions.usage());
        return 0;
      }
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new UsageException("unexpected argument " + arg + " (usage: " + USAGE + ")");
      }
      String name = arg.substring(2, arg.indexOf('='));
      String value = arg.substring(arg.indexOf('=') + 1);
      switch (name) {
        case "format":
          if (!value.equals("text") && !value.equals("markdown")) {
            throw new UsageException("--format=" + value + ": text or markdown");
          }
          format = value;
          break;
        case "benchmark":
          benchmark = value;
          break;
        case "prices":
          prices = Prices.fromFile(Paths.get(value));
          break;
        default:
          if (!Assumptions.known(name)) {
            throw new UsageException(
                "unknown option " + arg + " (bin/collab-cost --help lists the options)");
          }
          explicit.add(new String[] {name, value});
      }
    }
    String figures = null;
    if (benchmark != null) {
      Path file = Paths.get(benchmark);
      BenchmarkResults r = BenchmarkResults.read(file);
      figures = describe(file, r);
      for (String[] m :
          new String[][] {
            {"streaming", "streamEventsPerSecondPerCore"},
            {"replay", "replayEventsPerSecondPerCore"}
          }) {
        BenchmarkResults.Mode mode = r.modes.get(m[0]);
        if (mode != null) {
          a.set(
              m[1],
              Double.toString(mode.eventsPerSecondPerCore()),
              file.getFileName() + ", " + m[0] + ", " + mode.date);
        }
      }
    }
    for (String[] kv : explicit) {
      a.set(kv[0], kv[1], "option");
    }
    for (String required :
        List.of("streamEventsPerSecondPerCore", "replayEventsPerSecondPerCore")) {
      if (!a.has(required)) {
        throw new UsageException(
            (benchmark == null
                    ? "no throughput figures: "
                    : "--benchmark=" + benchmark + " has no " + modeOf(required) + " mode: ")
                + "give --benchmark=FILE (bin/collab-benchmark --results=FILE;"
                + " docs/cost/benchmark-2026-12-02.json) or --"
                + required
                + "=N"
                + (a.has("streamEventsPerSecondPerCore") || a.has("replayEventsPerSecondPerCore")
                    ? ""
                    : " and --replayEventsPerSecondPerCore=N"));
      }
    }
    Prices p = prices == null ? Prices.builtIn() : prices;
    CostModel.Plan plan = CostModel.plan(a, p);
    if (format.equals("markdown")) {
      markdown(out, plan, a, p, figures);
    } else {
      text(out, plan, a, p, figures);
    }
    return 0;
  }

  private static String modeOf(String option) {
    return option.startsWith("stream") ? "streaming" : "replay";
  }

  private static String describe(Path file, BenchmarkResults r) {
    StringBuilder b = new StringBuilder(file.toString()).append(": ");
    b.append("date ").append(r.date).append(", Java ").append(r.javaVersion);
    b.append(", ").append(r.cores).append(" cores");
    if (r.loadAverage != null) {
      b.append(String.format(Locale.ROOT, ", load average %.1f", r.loadAverage));
    }
    for (Map.Entry<String, BenchmarkResults.Mode> e : r.modes.entrySet()) {
      BenchmarkResults.Mode m = e.getValue();
      b.append(
          String.format(
              Locale.ROOT,
              "; %s %,.0f events/s (parallelism %d, %,d events)",
              e.getKey(),
              m.eventsPerSecond,
              m.parallelism,
              m.events));
    }
    if (r.note != null) {
      b.append(" — ").append(r.note);
    }
    return b.toString();
  }

  private static String verdict(double total, Assumptions a) {
    double budget = a.num("budget");
    double aim = a.num("aim");
    return String.format(
        Locale.ROOT,
        "budget $%,.0f: %s (%.0f%% of it); aim <= $%,.0f: %s",
        budget,
        total <= budget
            ? "within"
            : "OVER by $" + String.format(Locale.ROOT, "%,.0f", total - budget),
        100 * total / budget,
        aim,
        total <= aim
            ? "holds ($" + String.format(Locale.ROOT, "%,.0f", aim - total) + " to spare)"
            : "does NOT hold (over by $" + String.format(Locale.ROOT, "%,.0f", total - aim) + ")");
  }

  private static String header(Assumptions a, Prices p) {
    return String.format(
        Locale.ROOT,
        "monthly cost of collab-pipeline at %,.0f events/s peak (%,.0f average); prices of %s, %s,"
            + " on-demand list (%s), not checked against the vendors' pages",
        a.num("peakEventsPerSecond"),
        a.num("averageEventsPerSecond"),
        p.date(),
        p.region(),
        p.origin());
  }

  private static String figuresLine(Assumptions a) {
    return String.format(
        Locale.ROOT,
        "per-core figures: stream %,.0f events/s [%s]; replay %,.0f events/s [%s]; collector %,.0f"
            + " events/s [%s]",
        a.num("streamEventsPerSecondPerCore"),
        a.origin("streamEventsPerSecondPerCore"),
        a.num("replayEventsPerSecondPerCore"),
        a.origin("replayEventsPerSecondPerCore"),
        a.num("collectorEventsPerSecondPerCore"),
        a.origin("collectorEventsPerSecondPerCore"));
  }

  static void text(PrintStream out, CostModel.Plan plan, Assumptions a, Prices p, String figures) {
    out.println("collab-cost: " + header(a, p));
    if (figures != null) {
      out.println("benchmark " + figures);
    }
    out.println(figuresLine(a));
    out.println();
    String row = "%-26s %-64s %16s %-18s %10s %12s%n";
    out.printf(Locale.ROOT, row, "component", "item", "quantity", "unit", "unit $", "$/month");
    componentRows(
        plan,
        (l, first) ->
            out.printf(
                Locale.ROOT,
                "%-26s %-64s %,16.1f %-18s %10s %,12.2f%n",
                first ? l.component : "",
                l.item,
                l.quantity,
                shortUnit(l.unit),
                price(l.unitPrice),
                l.monthly()),
        (component, subtotal) ->
            out.printf(
                Locale.ROOT,
                "%-26s %-64s %16s %-18s %10s %,12.2f%n",
                "",
                "subtotal " + component,
                "",
                "",
                "",
                subtotal));
    out.println();
    out.printf(Locale.ROOT, "TOTAL $%,.0f per month; %s%n", plan.total(), verdict(plan.total(), a));
    out.println();
    out.println("by component:");
    for (Map.Entry<String, Double> e : plan.byComponent().entrySet()) {
      out.printf(
          Locale.ROOT,
          "  %-26s %,12.0f  %5.1f%%%n",
          e.getKey(),
          e.getValue(),
          100 * e.getValue() / plan.total());
    }
    out.println();
    out.println("sizing:");
    for (Map.Entry<String, String> e : plan.sizing.entrySet()) {
      out.printf(Locale.ROOT, "  %s: %s%n", e.getKey(), e.getValue());
    }
    out.println();
    out.println("assumptions (--option=value [origin]):");
    for (String[] r : a.listing()) {
      out.printf(Locale.ROOT, "  --%s=%s [%s]  %s%n", r[0], r[1], r[2], r[3]);
    }
    out.println();
    out.println(
        "prices ("
            + p.date()
            + ", "
            + p.region()
            + "; check each against its page before a budget decision):");
    for (String k : p.used()) {
      out.printf(
          Locale.ROOT, "  %-32s %10s per %-40s %s%n", k, price(p.price(k)), p.unit(k), p.source(k));
    }
  }

  static void markdown(
      PrintStream out, CostModel.Plan plan, Assumptions a, Prices p, String figures) {
    out.println("<!-- generated by bin/collab-cost --format=markdown -->");
    out.println("Computed " + header(a, p) + ".");
    out.println();
    if (figures != null) {
      String f = figures.replace("|", "\\|");
      out.println("Benchmark " + f + (f.endsWith(".") ? "" : "."));
      out.println();
    }
    out.println(figuresLine(a).replace("[", "(").replace("]", ")") + ".");
    out.println();
    out.println("| component | item | quantity | unit | unit price $ | $/month |");
    out.println("|---|---|---:|---|---:|---:|");
    componentRows(
        plan,
        (l, first) ->
            out.printf(
                Locale.ROOT,
                "| %s | %s | %,.1f | %s | %s | %,.2f |%n",
                first ? l.component : "",
                l.item,
                l.quantity,
                l.unit,
                price(l.unitPrice),
                l.monthly()),
        (component, subtotal) ->
            out.printf(
                Locale.ROOT, "| | **subtotal %s** | | | | **%,.0f** |%n", component, subtotal));
    out.printf(Locale.ROOT, "| **total** | | | | | **%,.0f** |%n", plan.total());
    out.println();
    out.printf(
        Locale.ROOT, "**Total $%,.0f per month**; %s.%n", plan.total(), verdict(plan.total(), a));
    out.println();
    out.println("| component | $/month | share |");
    out.println("|---|---:|---:|");
    for (Map.Entry<String, Double> e : plan.byComponent().entrySet()) {
      out.printf(
          Locale.ROOT,
          "| %s | %,.0f | %.1f%% |%n",
          e.getKey(),
          e.getValue(),
          100 * e.getValue() / plan.total());
    }
    out.printf(Locale.ROOT, "| **total** | **%,.0f** | |%n", plan.total());
    out.println();
    out.println("| sizing | |");
    out.println("|---|---|");
    for (Map.Entry<String, String> e : plan.sizing.entrySet()) {
      out.printf(Locale.ROOT, "| %s | %s |%n", e.getKey(), e.getValue());
    }
    out.println();
    out.println("| assumption (option) | value | from | meaning |");
    out.println("|---|---:|---|---|");
    for (String[] r : a.listing()) {
      out.printf(Locale.ROOT, "| `--%s` | %s | %s | %s |%n", r[0], r[1], r[2], r[3]);
    }
    out.println();
    out.println(
        "| price key | USD | per | source ("
            + p.date()
            + ", "
            + p.region()
            + "; not checked today) |");
    out.println("|---|---:|---|---|");
    for (String k : p.used()) {
      String checked = p.checked(k);
      out.printf(
          Locale.ROOT,
          "| `%s` | %s | %s | %s%s |%n",
          k,
          price(p.price(k)),
          p.unit(k),
          p.source(k),
          checked.isEmpty() ? "" : "; cross-checked: " + checked);
    }
  }

  /**
   * Walks the plan's lines in order: {@code row} for each line (with whether it is the first of its
   * component), and {@code subtotal} with the component's sum after the last line of each run of
   * one component.
   */
  private static void componentRows(
      CostModel.Plan plan,
      BiConsumer<CostModel.Line, Boolean> row,
      BiConsumer<String, Double> subtotal) {
    Map<String, Double> byComponent = plan.byComponent();
    List<CostModel.Line> lines = plan.lines;
    for (int i = 0; i < lines.size(); i++) {
      CostModel.Line l = lines.get(i);
      row.accept(l, i == 0 || !lines.get(i - 1).component.equals(l.component));
      if (i == lines.size() - 1 || !lines.get(i + 1).component.equals(l.component)) {
        subtotal.accept(l.component, byComponent.get(l.component));
      }
    }
  }

  private static String shortUnit(String unit) {
    return unit.length() <= 18 ? unit : unit.substring(0, 18);
  }

  private static String price(double v) {
    String s = String.format(Locale.ROOT, "%.4f", v);
    while (s.contains(".") && (s.endsWith("0") && s.indexOf('.') < s.length() - 3)) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
