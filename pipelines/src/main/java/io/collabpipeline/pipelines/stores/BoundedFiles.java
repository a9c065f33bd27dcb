package io.collabpipeline.pipelines.stores;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.joda.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of a bounded input in a batch pipeline, written without Beam's {@code WriteFiles}: the
 * same files under the same names as the stores' windowed writes give a batch job (their naming of
 * each file's destination, window and pane), visible all at once when every one is written.
 *
 * <ol>
 *   <li>{@code WindowByArrival}, {@code GroupByFile}: the elements of each file together, keyed by
 *       the file's destination and grouped in its arrival window, as a stream's write groups them.
 *   <li>{@code WriteTempFiles}: each file written with the store's sink under a temporary name of
 *       its own in {@code <prefix>/.temp-collab/<write id>/} (a name without the store's suffix, so
 *       no glob of the store's files matches it), a new name at every attempt.
 *   <li>{@code GatherTempFiles}, {@code CommitFiles}: every written file in one place, then all
 *       renamed to their names in one step (a file already renamed by an earlier attempt of that
 *       step is skipped; a name that exists is replaced, as {@code WriteFiles}' finalisation does),
 *       and the write's temporary directory removed with whatever a failed attempt left in it.
 *   <li>The output, each committed file as {@code KV<destination, file>}: with {@code
 *       filesInWindows}, {@code CommittedFiles} sends each on in its arrival window, at the end of
 *       it, once the commit is done (the committed names are its side input), so that what is
 *       counted from a file's rows at their arrival times is never behind the watermark (the raw
 *       store's {@code raw_written}); without, the commit's own output, in the global window (for a
 *       write whose files nothing reads).
 * </ol>
 *
 * <p>A job that fails before the commit leaves no file of the store (only its temporary directory);
 * a re-run of the same generation writes the same names. {@code WriteFiles} does the same in 24
 * Flink tasks per write (its sharding, grouping, writing, two reshuffles that gather and finalise
 * the files, and its always-empty bad-record outputs, each with a sink that discards it); this does
 * it in eight to fourteen. Streams keep {@code WriteFiles}, whose windows fire as the watermark
 * passes them and whose step names their checkpoints hold.
 */
final class BoundedFiles<T>
    extends PTransform<PCollection<KV<String, T>>, PCollection<KV<String, String>>> {
  private static final long serialVersionUID = 1L;

  /** The directory under a store's prefix that holds its writes' temporary files. */
  static final String TEMP_DIRECTORY = ".temp-collab";

  private final String prefix;
  private final SerializableFunction<String, FileIO.Write.FileNaming> naming;
  private final Duration windowSize;
  private final Duration allowedLateness;
  private final FileIO.Sink<T> sink;
  private final boolean filesInWindows;

  /**
   * Files under {@code prefix}, each destination named by {@code naming} (the stream's write's
   * naming, given the file's window and pane), written with {@code sink}; with {@code
   * filesInWindows}, the committed files go on in their arrival windows.
   */
  BoundedFiles(
      String prefix,
      SerializableFunction<String, FileIO.Write.FileNaming> naming,
      Duration windowSize,
      Duration allowedLateness,
      FileIO.Sink<T> sink,
      boolean filesInWindows) {
    this.prefix = prefix;
    this.naming = naming;
    this.windowSize = windowSize;
    this.allowedLateness = allowedLateness;
    this.sink = sink;
    this.filesInWindows = filesInWindows;
  }

  @Override
  public PCollection<KV<String, String>> expand(PCollection<KV<String, T>> input) {
    String tempDirectory =
        PartitionedFiles.asDirectory(prefix) + TEMP_DIRECTORY + "/" + UUID.randomUUID() + "/";
    PCollection<KV<String, KV<String, String>>> written =
        input
            .apply(
                "WindowByArrival",
                PartitionedFiles.<KV<String, T>>arrivalWindows(windowSize, allowedLateness))
            .apply("GroupByFile", GroupByKey.create())
            .apply(
                "WriteTempFiles",
                ParDo.of(new WriteTempFilesFn<>(prefix, tempDirectory, naming, sink)))
            .setCoder(
                KvCoder.of(
                    StringUtf8Coder.of(), KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of())));
    PCollection<KV<String, String>> commits =
        written
            .apply("GatherInOneWindow", Window.into(new GlobalWindows()))
            .apply("GatherUnderOneKey", WithKeys.of(0))
            .setCoder(KvCoder.of(VarIntCoder.of(), written.getCoder()))
            .apply("GatherTempFiles", GroupByKey.create())
            .apply("CommitFiles", ParDo.of(new CommitFn(tempDirectory)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    if (!filesInWindows) {
      return commits;
    }
    PCollectionView<Iterable<KV<String, String>>> committed =
        commits.apply("CommittedView", View.asIterable());
    // Each file goes on once the commit is done, in its arrival window and at its end, as a
    // stream's write sends it: what is counted from its rows is never behind the watermark.
    return written
        .apply("CommittedFiles", ParDo.of(new CommittedFn(committed)).withSideInputs(committed))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
  }

  /**
   * Writes each file's elements to a temporary file and sends on {@code KV<destination,
   * KV<temporary file, file>>}.
   */
  private static final class WriteTempFilesFn<T>
      extends DoFn<KV<String, Iterable<T>>, KV<String, KV<String, String>>> {
    private static final long serialVersionUID = 1L;
    private final String prefix;
    private final String tempDirectory;
    private final SerializableFunction<String, FileIO.Write.FileNaming> naming;
    private final FileIO.Sink<T> sink;

    WriteTempFilesFn(
        String prefix,
        String tempDirectory,
        SerializableFunction<String, FileIO.Write.FileNaming> naming,
        FileIO.Sink<T> sink) {
      this.prefix = prefix;
      this.tempDirectory = tempDirectory;
      this.naming = naming;
      this.sink = sink;
    }

    @ProcessElement
    public void processElement(
        @Element KV<String, Iterable<T>> file,
        BoundedWindow window,
        PaneInfo pane,
        OutputReceiver<KV<String, KV<String, String>>> out)
        throws IOException {
      // The name WriteFiles gives the file: its destination's naming of its window and pane.
      String name =
          PartitionedFiles.asDirectory(prefix)
              + naming
                  .apply(file.getKey())
                  .getFilename(window, pane, 1, 0, Compression.UNCOMPRESSED);
      // Not the store's suffix: a temporary file never matches a glob of the store's files.
      ResourceId temp =
          FileSystems.matchNewResource(tempDirectory + UUID.randomUUID() + ".tmp", false);
      try (WritableByteChannel channel = FileSystems.create(temp, MimeTypes.BINARY)) {
        sink.open(channel);
        for (T element : file.getValue()) {
          sink.write(element);
        }
        sink.flush();
      }
      out.output(KV.of(file.getKey(), KV.of(temp.toString(), name)));
    }
  }

  /**
   * Renames every written file to its name in one step, then removes the write's temporary
   * directory; sends on {@code KV<destination, file>} per committed file.
   */
  private static final class CommitFn
      extends DoFn<KV<Integer, Iterable<KV<String, KV<String, String>>>>, KV<String, String>> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BoundedFiles.class);
    private final String tempDirectory;

    CommitFn(String tempDirectory) {
      this.tempDirectory = tempDirectory;
    }

    @ProcessElement
    public void processElement(
        @Element KV<Integer, Iterable<KV<String, KV<String, String>>>> written,
        OutputReceiver<KV<String, String>> out)
        throws IOException {
      List<ResourceId> temps = new ArrayList<>();
      List<ResourceId> names = new ArrayList<>();
      List<KV<String, String>> committed = new ArrayList<>();
      for (KV<String, KV<String, String>> file : written.getValue()) {
        temps.add(FileSystems.matchNewResource(file.getValue().getKey(), false));
        names.add(FileSystems.matchNewResource(file.getValue().getValue(), false));
        committed.add(KV.of(file.getKey(), file.getValue().getValue()));
      }
      // A retried commit finds the files an earlier attempt renamed already in place. A name
      // that exists is replaced, as WriteFiles' finalisation does: only a re-run of the same
      // generation writes it again.
      FileSystems.rename(temps, names, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      for (KV<String, String> file : committed) {
        out.output(file);
      }
      removeTempDirectory();
    }

    /** Whatever failed attempts left in the temporary directory, then the directory itself. */
    private void removeTempDirectory() {
      try {
        MatchResult left = FileSystems.match(tempDirectory + "*", EmptyMatchTreatment.ALLOW);
        List<ResourceId> files = new ArrayList<>();
        if (left.status() == MatchResult.Status.OK) {
          for (MatchResult.Metadata m : left.metadata()) {
            files.add(m.resourceId());
          }
        }
        FileSystems.delete(files, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
        ResourceId directory = FileSystems.matchNewResource(tempDirectory, true);
        // Object stores (s3://) have no directories: only a local one is left to remove.
        if ("file".equals(directory.getScheme())) {
          FileSystems.delete(
              Collections.singletonList(directory),
              MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
        }
      } catch (IOException | RuntimeException e) {
        // The files are committed; a temporary directory left behind holds no file of the store.
        LOG.warn("could not remove the temporary directory {}: {}", tempDirectory, e.toString());
      }
    }
  }

  /**
   * Sends on each written file as {@code KV<destination, file>} once the commit (its side input) is
   * done, and checks that the commit named it.
   */
  private static final class CommittedFn
      extends DoFn<KV<String, KV<String, String>>, KV<String, String>> {
    private static final long serialVersionUID = 1L;
    private final PCollectionView<Iterable<KV<String, String>>> committed;
    private transient Set<String> names;

    CommittedFn(PCollectionView<Iterable<KV<String, String>>> committed) {
      this.committed = committed;
    }

    @ProcessElement
    public void processElement(ProcessContext c) {
      if (names == null) {
        names = new HashSet<>();
        for (KV<String, String> file : c.sideInput(committed)) {
          names.add(file.getValue());
        }
      }
      String name = c.element().getValue().getValue();
      if (!names.contains(name)) {
        throw new IllegalStateException("the commit did not name the written file " + name);
      }
      c.output(KV.of(c.element().getKey(), name));
    }
  }
}
