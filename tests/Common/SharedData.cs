namespace Llambda.Testing;

/// <summary>
/// Locates the project's fixtures: <c>../shared</c> beside the repository root (models, reference outputs).
/// Tests never download anything; every model they use lives there.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string> s_root = new(FindSharedRoot);

    /// <summary>The <c>shared</c> directory (holds <c>models/</c> and <c>reference/</c>).</summary>
    public static string Root => s_root.Value;

    public static string ModelsDir => Path.Combine(Root, "models");
    public static string ReferenceDir => Path.Combine(Root, "reference");

    public static string Model(string fileName) => Path.Combine(ModelsDir, fileName);
    public static string Reference(params string[] parts) => Path.Combine([ReferenceDir, .. parts]);

    /// <summary>Every <c>*.gguf</c> in <c>shared/models</c> (not the bad ones), sorted by name.</summary>
    public static IEnumerable<string> AllModels() =>
        Directory.EnumerateFiles(ModelsDir, "*.gguf").Order(StringComparer.Ordinal);

    private static string FindSharedRoot()
    {
        string? env = Environment.GetEnvironmentVariable("LLAMBDA_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Llambda.slnx")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                if (Directory.Exists(candidate)) return candidate;
                throw new DirectoryNotFoundException($"The fixtures directory {candidate} is missing: clone the repository beside shared/.");
            }
        }
        throw new DirectoryNotFoundException("Could not find the repository root (Llambda.slnx) above " + AppContext.BaseDirectory);
    }
}
