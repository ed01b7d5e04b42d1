using Llambda.Gguf;
using Llambda.Inference;
using Llambda.Models;

namespace Llambda.Cli;

/// <summary>
/// Turns the failures a user can cause (a missing or corrupt file, a bad argument) into one clear line on stderr
/// and exit code 1; anything else is a bug and says so, still without a stack trace unless LLAMBDA_DEBUG is set.
/// </summary>
internal static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("LLAMBDA_DEBUG") is null)
        {
            Console.Error.WriteLine($"internal error ({e.GetType().Name}): {e.Message}");
            Console.Error.WriteLine("This is a bug in llambda; set LLAMBDA_DEBUG=1 for details.");
            return 2;
        }
    }

    public static bool IsUserError(Exception e) => e is GgufFormatException or ModelLoadException or PromptTooLongException or FileNotFoundException or DirectoryNotFoundException
        or UnauthorizedAccessException or FormatException or Llambda.Templates.TemplateException or InvalidDataException or KeyNotFoundException or NotSupportedException or ArgumentException
        or IOException;
}
