package io.collabpipeline.pipelines;

import java.io.File;
import java.net.InetSocketAddress;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.classloading.SubmoduleClassLoader;
import org.apache.flink.runtime.rpc.AddressResolution;
import org.apache.flink.runtime.rpc.RpcSystem;
import org.apache.flink.runtime.rpc.RpcSystemLoader;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One Flink RPC system per JVM, loaded the first time a Flink component asks for one and kept until
 * the JVM exits, instead of one per embedded cluster.
 *
 * <p>Flink's own loader ({@code PekkoRpcSystemLoader}) copies its bundled Pekko jar to a new
 * temporary file and opens a new class loader on it every time it is asked, i.e. for every
 * in-process cluster Beam's Flink runner starts for a job ({@code --flinkMaster=[local]}): each job
 * loaded about 1,450 Pekko and Scala classes afresh, and the JVM interpreted and compiled their
 * code again. In the benchmark's repeats (one embedded cluster each) the JIT compiler threads took
 * 53% of the process's CPU time, still compiling about 600 methods a second in the last repeats,
 * and the class-load log showed those classes loaded once per job from a new {@code
 * flink-rpc-akka<uuid>.jar}. With this loader the classes load once and their compiled code serves
 * every later job. A long-running stream or a cluster process loads one RPC system anyway: there it
 * changes nothing.
 *
 * <p>Flink finds RPC system loaders with {@link ServiceLoader} and takes the first of the lowest
 * {@link #getLoadPriority()} that loads; this one has priority -1, ahead of Flink's 0, and loads
 * its one system through the next loader Flink would have used. The system it hands out ignores
 * {@link RpcSystem#close()}, which the clusters call when they stop (Flink's own tests share one
 * system between clusters the same way); the temporary copy of Flink's Pekko jar is deleted when
 * the JVM exits. Every RPC service is still built per cluster by the system's {@code
 * localServiceBuilder} and stopped with its cluster: the system itself holds no cluster's state.
 * The copy of the jar is made in the JVM's temporary directory ({@code java.io.tmpdir}), whatever
 * {@code io.tmp.dirs} the first cluster was given.
 */
public final class SharedRpcSystemLoader implements RpcSystemLoader {
  /** Ahead of Flink's own loaders (0 is theirs, the highest priority they use). */
  static final int LOAD_PRIORITY = -1;

  private static @Nullable RpcSystem shared;

  @Override
  public int getLoadPriority() {
    return LOAD_PRIORITY;
  }

  /** The JVM's one system; {@code config} is the asking cluster's, which it does not need. */
  @Override
  public RpcSystem loadRpcSystem(Configuration config) {
    return shared();
  }

  private static synchronized RpcSystem shared() {
    if (shared == null) {
      // Flink's loader copies its Pekko jar into the first of the configuration's io.tmp.dirs,
      // and Pekko reads its reference.conf from that copy whenever an actor system starts. A
      // cluster's own temporary directory may be gone while the JVM runs on (a test's, say): the
      // system every later cluster shares takes the JVM's (java.io.tmpdir), not the caller's.
      Configuration jvmWide = new Configuration();
      RpcSystem loaded = loadThroughNext(jvmWide);
      deleteCopiedJarOnExit(loaded, jvmWide);
      shared = new Unclosable(loaded);
    }
    return shared;
  }

  /**
   * Flink's loader copies its Pekko jar to a temporary file that it deletes when the system is
   * closed; the shared system is never closed, so the file is deleted when the JVM exits. Only a
   * {@link SubmoduleClassLoader}'s {@code flink-rpc-akka*.jar} is touched: a system loaded from the
   * classpath itself (Flink's fallback loader) has none.
   */
  private static void deleteCopiedJarOnExit(RpcSystem system, Configuration config) {
    ClassLoader loader = system.localServiceBuilder(config).getClass().getClassLoader();
    if (!(loader instanceof SubmoduleClassLoader)) {
      return;
    }
    for (URL url : ((SubmoduleClassLoader) loader).getURLs()) {
      if (!"file".equals(url.getProtocol())) {
        continue;
      }
      try {
        File jar = new File(url.toURI());
        if (jar.getName().startsWith("flink-rpc-akka") && jar.getName().endsWith(".jar")) {
          jar.deleteOnExit();
        }
      } catch (URISyntaxException | IllegalArgumentException e) {
        // Not a plain file URL: nothing of ours to delete.
      }
    }
  }

  /** The system the loaders after this one load, in Flink's order (lowest priority first). */
  private static RpcSystem loadThroughNext(Configuration config) {
    List<RpcSystemLoader> loaders = new ArrayList<>();
    for (RpcSystemLoader loader : ServiceLoader.load(RpcSystemLoader.class)) {
      if (!(loader instanceof SharedRpcSystemLoader)) {
        loaders.add(loader);
      }
    }
    loaders.sort(Comparator.comparingInt(RpcSystemLoader::getLoadPriority));
    RuntimeException failed = null;
    for (RpcSystemLoader loader : loaders) {
      try {
        return loader.loadRpcSystem(config);
      } catch (RuntimeException e) {
        if (failed == null) {
          failed = e;
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    throw new IllegalStateException(
        "no Flink RPC system could be loaded (is flink-rpc-akka-loader on the classpath?)", failed);
  }

  /** The shared system, for clusters that close theirs when they stop. */
  private static final class Unclosable implements RpcSystem {
    private final RpcSystem system;

    Unclosable(RpcSystem system) {
      this.system = system;
    }

    @Override
    public RpcServiceBuilder localServiceBuilder(Configuration configuration) {
      return system.localServiceBuilder(configuration);
    }

    @Override
    public RpcServiceBuilder remoteServiceBuilder(
        Configuration configuration, @Nullable String externalAddress, String externalPortRange) {
      return system.remoteServiceBuilder(configuration, externalAddress, externalPortRange);
    }

    @Override
    public String getRpcUrl(
        String hostname,
        int port,
        String endpointName,
        AddressResolution addressResolution,
        Configuration config)
        throws UnknownHostException {
      return system.getRpcUrl(hostname, port, endpointName, addressResolution, config);
    }

    @Override
    public InetSocketAddress getInetSocketAddressFromRpcUrl(String url) throws Exception {
      return system.getInetSocketAddressFromRpcUrl(url);
    }

    @Override
    public long getMaximumMessageSizeInBytes(Configuration config) {
      return system.getMaximumMessageSizeInBytes(config);
    }

    @Override
    public void close() {
      // Shared by every cluster of this JVM and kept until it exits (its jar copy is deleted then).
    }
  }
}
