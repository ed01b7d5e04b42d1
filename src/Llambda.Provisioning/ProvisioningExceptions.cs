namespace Llambda.Provisioning;

// The failures a user can fix (a wrong URL, missing credentials, a full disk, a changed file). They derive from
// IOException so that callers (the CLI, the server) report them as one clear line rather than as a crash.

/// <summary>A model could not be fetched: the message names the source, the status and what to try.</summary>
public class ModelDownloadException : IOException
{
    public ModelDownloadException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>The HTTP status the server answered with, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>True when retrying may help (a 5xx, a throttle, a dropped connection); false for 4xx answers.</summary>
    public bool IsTransient { get; init; }

    /// <summary>True when the partial file can no longer be resumed (the remote file changed) and must be deleted.</summary>
    public bool DiscardPartial { get; init; }
}

/// <summary>The downloaded bytes do not have the pinned sha256 digest; the partial file has been removed.</summary>
public sealed class ModelDigestMismatchException : ModelDownloadException
{
    public ModelDigestMismatchException(string source, string expected, string actual)
        : base($"Digest mismatch for {source}: expected sha256 {expected}, got {actual}. The download was discarded; " +
               "check the pin, or whether the file on the server changed.")
    {
        Expected = expected;
        Actual = actual;
    }

    public string Expected { get; }
    public string Actual { get; }
}

/// <summary>The cache's file system has too little room for the model.</summary>
public sealed class InsufficientDiskSpaceException : IOException
{
    public InsufficientDiskSpaceException(string message, long neededBytes, long availableBytes) : base(message)
    {
        NeededBytes = neededBytes;
        AvailableBytes = availableBytes;
    }

    public long NeededBytes { get; }
    public long AvailableBytes { get; }
}
