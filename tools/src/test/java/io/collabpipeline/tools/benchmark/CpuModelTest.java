package io.collabpipeline.tools.benchmark;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;

/**
 * The benchmark's header names the processor its figures came from: the {@code model name} of
 * {@code /proc/cpuinfo} as Linux writes it (x86-64 kernels: one block per logical processor, a tab
 * before the colon), once however many processors repeat it, and "CPU model unknown" where there is
 * no such field (an arm64 kernel's file) or no file.
 */
public class CpuModelTest {
  private static String modelOf(String cpuinfo) throws Exception {
    Path file = Files.createTempFile("cpuinfo", "");
    try {
      Files.write(file, cpuinfo.getBytes(StandardCharsets.UTF_8));
      return CollabBenchmark.cpuModel(file);
    } finally {
      Files.delete(file);
    }
  }

  private static String x86Block(int processor, String model) {
    return "processor\t: "
        + processor
        + "\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: "
        + model
        + "\ncpu MHz\t\t: 2445.406\nflags\t\t: fpu vme de pse tsc msr\n\n";
  }

  @Test
  public void twoProcessorsOfOneModelNameItOnce() throws Exception {
    assertEquals(
        "AMD EPYC 9R14 96-Core Processor",
        modelOf(
            x86Block(0, "AMD EPYC 9R14 96-Core Processor")
                + x86Block(1, "AMD EPYC 9R14 96-Core Processor")));
  }

  @Test
  public void runsOfBlanksInsideTheNameAreOneBlank() throws Exception {
    assertEquals(
        "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz",
        modelOf(
            x86Block(0, "Intel(R) Xeon(R) CPU E5-2686 v4 @ 2.30GHz  ")
                .replace("CPU E5", "CPU   E5")));
  }

  @Test
  public void differentModelsAreAllNamedInTheirOrder() throws Exception {
    assertEquals("Model A + Model B", modelOf(x86Block(0, "Model A") + x86Block(1, "Model B")));
  }

  @Test
  public void theModelFieldIsNotTakenForTheModelName() throws Exception {
    // "model" alone is the family's model number (17 above), not a name.
    assertEquals(
        "CPU model unknown",
        modelOf("processor\t: 0\nmodel\t\t: 17\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n"));
  }

  @Test
  public void aMissingFileIsUnknown() {
    assertEquals("CPU model unknown", CollabBenchmark.cpuModel(Path.of("/nonexistent/cpuinfo")));
  }
}
