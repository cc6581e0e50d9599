using System.IO.Compression;
using System.Text;
using TaintWatch.Modules.Compression;

namespace TaintWatch.KernelLog;

/// <summary>
/// Opens a log as it was saved: gzip (logrotate's rotated <c>messages-*.gz</c>) is decompressed as it is read,
/// text is decoded by its byte-order mark (UTF-8, UTF-16 or UTF-32: a log saved by Windows Notepad or
/// PowerShell) and otherwise as UTF-8. xz, zstd and bzip2 are refused with the command that reads them, rather
/// than scanned as binary noise that would find nothing.
/// </summary>
public static class LogInput
{
    private const int ReadBuffer = -1; // the reader's default: the file stream below buffers

    /// <summary>A reader over <paramref name="raw"/>, which it then owns; <see cref="InvalidDataException"/> says why not.</summary>
    public static TextReader Open(Stream raw, string name)
    {
        var head = new byte[6];
        var length = 0;
        for (int n; length < head.Length && (n = raw.Read(head, length, head.Length - length)) > 0;)
        {
            length += n;
        }
        var replayed = new PrefixedStream(head.AsMemory(0, length), raw);
        var magic = head.AsSpan(0, length);
        // The same magic numbers as module files (kmod's rule: the bytes, never the name), and bzip2's.
        var kind = ModuleDecompressor.Detect(magic);
        if (kind == CompressionKind.Gzip)
        {
            return new StreamReader(new GZipStream(replayed, CompressionMode.Decompress), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, ReadBuffer);
        }
        var refused = kind != CompressionKind.None ? ModuleDecompressor.Name(kind) : magic.StartsWith("BZh"u8) ? "bzip2" : null;
        if (refused is not null)
        {
            replayed.Dispose();
            throw new InvalidDataException($"{refused}-compressed: read it with `{refused} -dc {name} | taintwatch scan-log`");
        }
        return new StreamReader(replayed, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true, ReadBuffer);
    }

    /// <summary>The bytes already read to find the format, then the rest of the stream (standard input cannot seek back).</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty)
            {
                return rest.Read(buffer);
            }
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                rest.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
