using System.Diagnostics;

namespace Llambda.Cli.Tests;

/// <summary>
/// <c>llambda chat</c> in a real terminal: tmux runs it in a pseudo-terminal, send-keys types, capture-pane reads
/// the screen. (Falls back to failing clearly when tmux is missing: .ci/run installs it.)
/// </summary>
public class ChatCommandTests
{
    [Fact]
    public void Chat_in_a_terminal_streams_replies_resets_and_exits()
    {
        string session = "llambda-chat-" + Guid.NewGuid().ToString("N")[..8];
        string command = $"dotnet {CliRunner.DllPath} chat -m stories260K --temp 0 -n 12 --ctx 96; echo CHAT-EXITED-$?; sleep 30";
        Tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "50", command);
        try
        {
            WaitFor(session, "/exit quits", TimeSpan.FromSeconds(30));
            Tmux("send-keys", "-t", session, "Tell me about Lily", "Enter");
            // The reply streams in, then the prompt comes back (capture-pane trims the space after ">").
            string screen = WaitFor(session, "\n>", TimeSpan.FromSeconds(30), after: "Tell me about Lily");
            string reply = screen[(screen.IndexOf("Tell me about Lily", StringComparison.Ordinal) + "Tell me about Lily".Length)..];
            Assert.Matches(@"\w", reply.Split("\n>")[0]); // the model answered something

            // Long inputs overflow the small context: old turns are dropped with a notice.
            for (int i = 0; i < 3; i++)
                Tmux("send-keys", "-t", session, $"Once upon a time there was a big dog number {i} who liked to run", "Enter");
            WaitFor(session, "oldest message", TimeSpan.FromSeconds(60));

            Tmux("send-keys", "-t", session, "/reset", "Enter");
            WaitFor(session, "(history cleared)", TimeSpan.FromSeconds(20));
            Tmux("send-keys", "-t", session, "/exit", "Enter");
            WaitFor(session, "CHAT-EXITED-0", TimeSpan.FromSeconds(20));
        }
        finally
        {
            try { Tmux("kill-session", "-t", session); } catch (InvalidOperationException) { }
        }
    }

    private static string WaitFor(string session, string text, TimeSpan timeout, string? after = null)
    {
        var clock = Stopwatch.StartNew();
        string screen = "";
        while (clock.Elapsed < timeout)
        {
            screen = Tmux("capture-pane", "-p", "-t", session, "-S", "-200");
            int from = after is null ? 0 : screen.IndexOf(after, StringComparison.Ordinal);
            if (from >= 0 && screen.IndexOf(text, from, StringComparison.Ordinal) >= 0) return screen;
            Thread.Sleep(200);
        }
        throw new TimeoutException($"'{text}' did not appear on the terminal. Screen:\n{screen}");
    }

    private static string Tmux(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("tmux did not start");
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {error}");
        return output;
    }
}
