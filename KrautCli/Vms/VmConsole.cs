using System.CommandLine;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using KrautCli.Cli;
using KrautCli.Http;
using static KrautCli.Vms.VmSubResources;

namespace KrautCli.Vms;

/// <summary>
/// <c>kraut console VM</c>: the VM's serial console in this terminal. A ticket from <c>POST …/console</c> opens the
/// WebSocket it names (the ticket travels as a subprotocol, never in the URL); binary frames are terminal bytes both
/// ways, text frames are the portal's JSON control messages (state, closed). Ctrl-] quits, as in telnet and virsh console.
/// </summary>
public static class VmConsole
{
    private const byte Escape = 0x1d; // Ctrl-]
    private static readonly TimeSpan AfterInput = TimeSpan.FromSeconds(2);

    public static Command Build()
    {
        var vm = VmArgument();
        var takeOver = new Option<bool>("--take-over") { Description = "Take the keyboard from whoever types on this console now." };
        var command = new Command("console", "The VM's serial console in this terminal; Ctrl-] quits.") { vm, takeOver };
        command.SetAction(async (parse, ct) =>
        {
            using var session = Session.Open(parse);
            var id = await VmIdAsync(session, parse, vm, ct);
            var issued = await session.Http.ChangeAsync(HttpMethod.Post, Routes.VmConsole(id), new JsonObject { ["type"] = "serial" }, ct);
            if (issued is null) return ExitCodes.Done;
            using var socket = new ClientWebSocket();
            foreach (var protocol in issued.Body!["protocols"]!.AsArray()) socket.Options.AddSubProtocol((string)protocol!);
            try
            {
                await socket.ConnectAsync(new Uri((string)issued.Body["url"]!), ct);
            }
            catch (WebSocketException e)
            {
                throw new CliException($"The console of VM {parse.GetValue(vm)} refused the connection: {e.Message}", ExitCodes.Failed);
            }
            await Console.Error.WriteLineAsync($"Connected to the serial console of VM {parse.GetValue(vm)}. Ctrl-] quits.");
            if (parse.GetValue(takeOver)) await SendControlAsync(socket, new JsonObject { ["op"] = "takeover" }, ct);

            using var raw = TerminalMode.RawIfTerminal();
            var newline = raw is null ? "\n" : "\r\n";
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var receiving = ReceiveAsync(socket, newline, stop.Token);
            var sending = SendKeysAsync(socket, stop.Token);
            var first = await Task.WhenAny(receiving, sending);
            // Piped keys ended (not Ctrl-]): what they asked for may still be on its way back, and so may a refusal.
            if (first == sending && !sending.Result) await Task.WhenAny(receiving, Task.Delay(AfterInput, ct));
            if (receiving.IsCompleted) first = receiving;
            await stop.CancelAsync();
            await CloseAsync(socket);
            var closedReason = receiving.IsCompletedSuccessfully ? receiving.Result : null;
            raw?.Dispose();
            if (first == sending) await Console.Error.WriteLineAsync($"{newline}Console closed.");
            if (first == receiving && closedReason is not null)
                throw new CliException(closedReason, ExitCodes.Failed);
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>Keys to the guest until Ctrl-] (true) or the end of standard input (false).</summary>
    private static async Task<bool> SendKeysAsync(ClientWebSocket socket, CancellationToken ct)
    {
        // On a terminal, Console.OpenStandardInput hands out whole lines (.NET edits and echoes them itself), which would
        // hold Ctrl-] and every key back until Enter: the terminal's own descriptor is read as it is instead.
        await using Stream input = Console.IsInputRedirected
            ? Console.OpenStandardInput()
            : new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        var buffer = new byte[4096];
        while (true)
        {
            var read = await input.ReadAsync(buffer, ct);
            if (read == 0) return false;
            var end = Array.IndexOf(buffer, Escape, 0, read);
            if (end != 0) await socket.SendAsync(buffer.AsMemory(0, end < 0 ? read : end), WebSocketMessageType.Binary, true, ct);
            if (end >= 0) return true;
        }
    }

    /// <summary>Console bytes to standard output, control messages to standard error; returns the reason the portal gave for closing.</summary>
    private static async Task<string?> ReceiveAsync(ClientWebSocket socket, string newline, CancellationToken ct)
    {
        await using var output = Console.OpenStandardOutput();
        var buffer = new byte[64 * 1024];
        var text = new MemoryStream();
        string? typist = null;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close) return socket.CloseStatusDescription is { Length: > 0 } d ? d : null;
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await output.WriteAsync(buffer.AsMemory(0, result.Count), ct);
                    await output.FlushAsync(ct);
                    continue;
                }
                text.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var message = ParseOrNull(text.ToArray());
                text.SetLength(0);
                switch ((string?)message?["op"])
                {
                    case "closed":
                        return (string?)message!["reason"] ?? "The portal closed the console.";
                    case "state" when (bool?)message!["typing"] == false && (string?)message["typist"] is { } someone && someone != typist:
                        typist = someone;
                        await Console.Error.WriteAsync($"{newline}[kraut: {someone} is typing on this console; you watch. --take-over takes the keyboard.]{newline}");
                        break;
                }
            }
        }
        catch (WebSocketException e)
        {
            return $"The console connection broke: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static JsonNode? ParseOrNull(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task SendControlAsync(ClientWebSocket socket, JsonObject message, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, ct);

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "kraut console quit", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // already going
        }
    }
}
