namespace Llambda.Provisioning;

/// <summary>
/// Turns what a user typed (<c>-m stories260K</c>, <c>-m ./x.gguf</c>) into a local file without asking: an
/// existing path is used as is; a bare name is looked up, with or without <c>.gguf</c>, in <c>./models</c>, the
/// download cache, each directory of <c>LLAMBDA_MODEL_PATH</c>, and <c>../shared/models</c> when present.
/// </summary>
public sealed class ModelLocator
{
    /// <summary>The model used when none is named: a 260K-parameter TinyStories model small enough to ship with tests.</summary>
    public const string DefaultModelName = "stories260K";

    public ModelLocator(IReadOnlyList<string> searchDirectories) => SearchDirectories = searchDirectories;

    /// <summary>The directories searched for bare names, in order.</summary>
    public IReadOnlyList<string> SearchDirectories { get; }

    /// <summary>The standard search order for this process (working directory, cache, environment, shared fixtures).</summary>
    public static ModelLocator FromEnvironment(string? workingDirectory = null)
    {
        string cwd = workingDirectory ?? Directory.GetCurrentDirectory();
        var dirs = new List<string> { Path.Combine(cwd, "models"), DefaultCacheDirectory() };
        string? envPath = Environment.GetEnvironmentVariable("LLAMBDA_MODEL_PATH");
        if (!string.IsNullOrEmpty(envPath))
            dirs.AddRange(envPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // The project's fixtures sit beside the repository; look for them above the working directory and the binary.
        foreach (string start in new[] { cwd, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string shared = Path.Combine(dir.FullName, "..", "shared", "models");
                if (Directory.Exists(shared))
                {
                    dirs.Add(Path.GetFullPath(shared));
                    break;
                }
            }
        }
        return new ModelLocator(dirs.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Where downloaded models are kept: <c>LLAMBDA_CACHE_DIR</c>, else <c>/tmp/llambda</c> inside AWS Lambda, else <c>~/.cache/llambda/models</c>.</summary>
    public static string DefaultCacheDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("LLAMBDA_CACHE_DIR");
        if (!string.IsNullOrEmpty(configured)) return configured;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME"))) return "/tmp/llambda";
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache", "llambda", "models");
    }

    /// <summary>The file for <paramref name="reference"/> (default model when null), or a <see cref="FileNotFoundException"/> listing where it looked.</summary>
    public string Resolve(string? reference)
    {
        string name = string.IsNullOrWhiteSpace(reference) ? DefaultModelName : reference.Trim();
        if (File.Exists(name)) return Path.GetFullPath(name);

        bool looksLikePath = name.Contains('/') || name.Contains('\\');
        if (!looksLikePath)
        {
            string[] candidates = name.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? [name] : [name + ".gguf", name];
            foreach (string dir in SearchDirectories)
            {
                foreach (string candidate in candidates)
                {
                    string path = Path.Combine(dir, candidate);
                    if (File.Exists(path)) return Path.GetFullPath(path);
                }
            }
        }

        string where = looksLikePath ? "" : " Looked for it in: " + string.Join(", ", SearchDirectories) + ".";
        throw new FileNotFoundException($"Model '{name}' not found.{where}", name);
    }
}
