namespace Llambda.Provisioning;

/// <summary>One progress report of a download, sent about ten times a second and once at the end.</summary>
/// <param name="Source">What is being fetched (the reference as typed, without credentials).</param>
/// <param name="BytesDone">Bytes on disk, including any resumed from an earlier run.</param>
/// <param name="TotalBytes">The file's size, or null when the server did not say.</param>
/// <param name="Elapsed">Time since this download started.</param>
/// <param name="BytesPerSecond">Bytes fetched by this run divided by <paramref name="Elapsed"/>.</param>
public readonly record struct DownloadProgress(string Source, long BytesDone, long? TotalBytes, TimeSpan Elapsed, double BytesPerSecond)
{
    public double MegabytesPerSecond => BytesPerSecond / 1e6;

    /// <summary>0..1, or null when the size is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? (double)BytesDone / TotalBytes.Value : null;
}
