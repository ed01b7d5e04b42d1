namespace Llambda.Gguf;

/// <summary>
/// The one error this layer raises for a file it will not trust: it names the file, the byte offset where
/// the problem was found and what was wrong, so a user can tell a truncated download from an unsupported format.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string filePath, long offset, string problem)
        : base($"{filePath}: invalid GGUF at byte {offset}: {problem}")
    {
        FilePath = filePath;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The file (or the name given to an in-memory buffer).</summary>
    public string FilePath { get; }

    /// <summary>Byte offset in the file where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without the file and offset.</summary>
    public string Problem { get; }
}
