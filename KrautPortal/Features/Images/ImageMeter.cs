using System.Diagnostics.Metrics;

namespace KrautPortal.Features.Images;

/// <summary>
/// Throughput of image content: bytes received (uploads and imports) and bytes converted, with how long each took.
/// Plain System.Diagnostics.Metrics; Features/Metrics publishes every "Kraut" meter as kraut_ + the instrument's name.
/// </summary>
public static class ImageMeter
{
    /// <summary>Every meter Kraut exports is named so; Prometheus sees "kraut_" + the instrument's name.</summary>
    public const string Name = "Kraut";

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> ReceivedBytes = Meter.CreateCounter<long>(
        "image_received_bytes_total", "By", "Image content stored from uploads and imports (resumed parts counted once).");

    public static readonly Histogram<double> ReceiveDuration = Meter.CreateHistogram<double>(
        "image_receive_duration_seconds", "s", "How long one upload request or import stream took to store, failed ones included.");

    public static readonly Counter<long> ConvertedBytes = Meter.CreateCounter<long>(
        "image_converted_bytes_total", "By", "Bytes of arrived image files that qemu-img converted successfully.");

    public static readonly Histogram<double> ConvertDuration = Meter.CreateHistogram<double>(
        "image_convert_duration_seconds", "s", "How long one successful qemu-img conversion took.");
}
