package io.collabpipeline.pipelines.stores;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/**
 * A Parquet {@link InputFile} read through Beam's {@link FileSystems}, so that a local file and an
 * object of any registered file system ({@code s3://}) are read alike, outside {@code ParquetIO}'s
 * transforms (whose own input file is not public).
 */
final class BeamInputFile implements InputFile {
  private final ResourceId resource;
  private final long length;

  private BeamInputFile(ResourceId resource, long length) {
    this.resource = resource;
    this.length = length;
  }

  /** The one file {@code spec} names (a path or a URI); fails if it does not exist. */
  static BeamInputFile of(String spec) throws IOException {
    MatchResult.Metadata m = FileSystems.matchSingleFileSpec(spec);
    return new BeamInputFile(m.resourceId(), m.sizeBytes());
  }

  /** A file already matched (its metadata): no further lookup in the file system. */
  static BeamInputFile of(MatchResult.Metadata metadata) {
    return new BeamInputFile(metadata.resourceId(), metadata.sizeBytes());
  }

  @Override
  public long getLength() {
    return length;
  }

  @Override
  public SeekableInputStream newStream() throws IOException {
    ReadableByteChannel channel = FileSystems.open(resource);
    if (!(channel instanceof SeekableByteChannel)) {
      channel.close();
      throw new IOException("the file system of " + resource + " cannot seek, Parquet needs it");
    }
    SeekableByteChannel seekable = (SeekableByteChannel) channel;
    return new DelegatingSeekableInputStream(Channels.newInputStream(seekable)) {
      @Override
      public long getPos() throws IOException {
        return seekable.position();
      }

      @Override
      public void seek(long newPos) throws IOException {
        seekable.position(newPos);
      }
    };
  }

  @Override
  public String toString() {
    return resource.toString();
  }
}
