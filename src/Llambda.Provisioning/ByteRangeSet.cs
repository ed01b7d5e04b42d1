namespace Llambda.Provisioning;

/// <summary>
/// The byte ranges of a file already on disk, kept sorted and merged. Downloads add to it as bytes land; the sidecar
/// stores it so that a later run fetches only the gaps; the hasher follows its contiguous prefix.
/// Thread-safe: parallel parts add concurrently.
/// </summary>
public sealed class ByteRangeSet
{
    private readonly List<(long Start, long End)> _ranges = []; // [Start, End), sorted, non-overlapping, non-adjacent
    private readonly Lock _lock = new();

    public ByteRangeSet() { }

    public ByteRangeSet(IEnumerable<(long Start, long End)> ranges)
    {
        foreach (var (start, end) in ranges) Add(start, end);
    }

    /// <summary>Marks [<paramref name="start"/>, <paramref name="end"/>) as present.</summary>
    public void Add(long start, long end)
    {
        if (end <= start) return;
        lock (_lock)
        {
            // Find the first range that ends at or after start; merge every range that touches [start, end).
            int i = 0;
            while (i < _ranges.Count && _ranges[i].End < start) i++;
            int j = i;
            while (j < _ranges.Count && _ranges[j].Start <= end)
            {
                start = Math.Min(start, _ranges[j].Start);
                end = Math.Max(end, _ranges[j].End);
                j++;
            }
            _ranges.RemoveRange(i, j - i);
            _ranges.Insert(i, (start, end));
        }
    }

    /// <summary>Bytes present in total.</summary>
    public long Count
    {
        get { lock (_lock) return _ranges.Sum(r => r.End - r.Start); }
    }

    /// <summary>How many bytes from offset 0 are present without a gap.</summary>
    public long ContiguousPrefix
    {
        get { lock (_lock) return _ranges.Count > 0 && _ranges[0].Start == 0 ? _ranges[0].End : 0; }
    }

    public (long Start, long End)[] ToArray()
    {
        lock (_lock) return [.. _ranges];
    }

    /// <summary>The missing ranges of a file of <paramref name="length"/> bytes, cut into pieces of at most <paramref name="maxPiece"/>.</summary>
    public List<(long Start, long End)> Gaps(long length, long maxPiece)
    {
        var gaps = new List<(long, long)>();
        long at = 0;
        foreach (var (start, end) in ToArray().Append((length, length)))
        {
            for (long s = at; s < Math.Min(start, length); s += maxPiece)
                gaps.Add((s, Math.Min(s + maxPiece, Math.Min(start, length))));
            at = Math.Max(at, end);
        }
        return gaps;
    }
}
