using System.Globalization;
using System.Text.RegularExpressions;

namespace KrautPortal.Benchmarks.RouterRules;

/// <summary>One timed TCP transfer between the two guests, as the sender printed it.</summary>
public sealed record TransferSample(string Path, int Round, long Bytes, double Seconds)
{
    public double MiBPerSecond => Bytes / 1048576.0 / Seconds;
}

/// <summary>
/// TCP throughput between the same two guests by two paths: a sink guest with a leg on each network (upstream .50,
/// inner .50) and a sender on the inner network. To the sink's inner address the bytes cross one bridge; to its upstream
/// address they go through the router (forwarded and NATed). The sender alternates the paths round by round and prints
/// each transfer's bytes and its own clock (/proc/uptime, 10 ms) before and after; busybox only.
/// </summary>
public static partial class TcpThroughput
{
    public const int SinkPort = 5001;

    public static string SinkUserData(int port) => $"""
        #!/bin/sh
        printf '#!/bin/sh\ncat >/dev/null\n' >/run/sink.sh
        chmod 755 /run/sink.sh
        nc -ll -p {port} -e /run/sink.sh &
        echo KRAUT-BENCH-SINK=up
        """;

    /// <param name="bridgeAddress">The sink's address on the sender's own network.</param>
    /// <param name="routedAddress">The sink's address behind the router.</param>
    public static string SenderUserData(string bridgeAddress, string routedAddress, int port, int rounds, int mebibytes) => $$"""
        #!/bin/sh
        for i in $(seq 1 300); do
          nc -w 3 {{bridgeAddress}} {{port}} </dev/null && nc -w 3 {{routedAddress}} {{port}} </dev/null && break
          sleep 2
        done
        echo KRAUT-BENCH-TCP-START
        round=1
        while [ $round -le {{rounds}} ]; do
          for path in bridge:{{bridgeAddress}} router:{{routedAddress}}; do
            name=${path%%:*}
            addr=${path#*:}
            t0=$(cut -d' ' -f1 /proc/uptime)
            dd if=/dev/zero bs=1048576 count={{mebibytes}} 2>/dev/null | nc -w 30 $addr {{port}}
            rc=$?
            t1=$(cut -d' ' -f1 /proc/uptime)
            echo "KRAUT-BENCH-TCP path=$name round=$round bytes=$(({{mebibytes}} * 1048576)) t0=$t0 t1=$t1 rc=$rc"
          done
          round=$((round + 1))
        done
        echo KRAUT-BENCH-TCP-DONE
        """;

    /// <summary>The transfers a sender's console shows; a failed one (nc's exit status) stops the benchmark.</summary>
    public static IReadOnlyList<TransferSample> Parse(string console)
    {
        var samples = new List<TransferSample>();
        foreach (Match m in Line().Matches(console))
        {
            if (m.Groups["rc"].Value != "0") throw new InvalidOperationException($"a transfer failed: {m.Value}");
            var seconds = double.Parse(m.Groups["t1"].Value, CultureInfo.InvariantCulture) - double.Parse(m.Groups["t0"].Value, CultureInfo.InvariantCulture);
            samples.Add(new TransferSample(m.Groups["path"].Value, int.Parse(m.Groups["round"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture), Math.Max(seconds, 0.01)));
        }
        return samples;
    }

    [GeneratedRegex(@"KRAUT-BENCH-TCP path=(?<path>\w+) round=(?<round>\d+) bytes=(?<bytes>\d+) t0=(?<t0>[\d.]+) t1=(?<t1>[\d.]+) rc=(?<rc>\d+)")]
    private static partial Regex Line();
}
