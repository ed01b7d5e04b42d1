namespace Llambda.Templates;

/// <summary>
/// Settings for parsing and rendering. The defaults are the environment Hugging Face transformers builds for chat
/// templates (trim_blocks, lstrip_blocks, no kept trailing newline), plus limits that keep a hostile template cheap.
/// </summary>
public sealed class JinjaOptions
{
    /// <summary>Remove the first newline after a block tag (<c>{% ... %}</c>) or comment.</summary>
    public bool TrimBlocks { get; init; } = true;

    /// <summary>Remove spaces and tabs before a block tag or comment when only they precede it on its line.</summary>
    public bool LstripBlocks { get; init; } = true;

    /// <summary>Keep the single trailing newline of the template source (Jinja2 drops it by default).</summary>
    public bool KeepTrailingNewline { get; init; }

    /// <summary>The clock behind <c>strftime_now()</c>; tests fix it.</summary>
    public Func<DateTime> Now { get; init; } = () => DateTime.Now;

    /// <summary>Upper bound on the rendered text and on any single string or list a template builds.</summary>
    public int MaxOutputChars { get; init; } = 4_000_000;

    /// <summary>Upper bound on evaluation steps (statements, loop iterations, calls, items materialized).</summary>
    public long MaxSteps { get; init; } = 5_000_000;

    /// <summary>Upper bound on nested macro calls (a recursive macro stops here).</summary>
    public int MaxRecursionDepth { get; init; } = 200;

    internal static readonly JinjaOptions Default = new();
}
