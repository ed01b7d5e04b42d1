using System.Globalization;

namespace Llambda.Provisioning;

/// <summary>
/// Checks for room before a download starts, so that a Lambda with the default 512 MB of /tmp fails in a second
/// with the numbers instead of minutes later with "No space left on device".
/// </summary>
public static class DiskSpace
{
    /// <summary>Free bytes available to this process on the file system holding <paramref name="directory"/>.</summary>
    public static long AvailableBytes(string directory)
    {
        // statvfs on the directory itself: on Linux DriveInfo accepts any path and reports its mount.
        return new DriveInfo(Path.GetFullPath(directory)).AvailableFreeSpace;
    }

    /// <summary>
    /// Throws <see cref="InsufficientDiskSpaceException"/> when fewer than <paramref name="neededBytes"/> are free.
    /// <paramref name="availableBytes"/> overrides the measurement (tests).
    /// </summary>
    public static void EnsureAvailable(string directory, long neededBytes, long? availableBytes = null)
    {
        if (neededBytes <= 0) return;
        long free = availableBytes ?? AvailableBytes(directory);
        if (free >= neededBytes) return;

        bool inLambda = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME"));
        string advice = inLambda
            ? "raise the function's ephemeral storage (up to 10,240 MB)"
            : "free some space or point LLAMBDA_CACHE_DIR (or --cache-dir) at a larger disk";
        throw new InsufficientDiskSpaceException(
            $"Not enough disk space to download the model: need {Format(neededBytes)}, {directory} has {Format(free)} free; {advice}.",
            neededBytes, free);
    }

    /// <summary>Decimal units (MB, GB), as Lambda's console and <c>df -H</c> show them.</summary>
    public static string Format(long bytes) => bytes switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0", CultureInfo.InvariantCulture) + " MB",
        >= 1_000 => (bytes / 1e3).ToString("0", CultureInfo.InvariantCulture) + " kB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };
}
