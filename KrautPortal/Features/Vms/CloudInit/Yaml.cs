using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>
/// YAML documents built as a node tree, never by pasting text: every string is double-quoted and escaped by the
/// emitter (a MAC like 52:54:00:12:34:56 would otherwise be a base-60 number to YAML 1.1 readers such as cloud-init).
/// </summary>
internal static class Yaml
{
    public static YamlScalarNode Str(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };

    public static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    public static YamlScalarNode Int(int value) => new(value.ToString(System.Globalization.CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    public static YamlSequenceNode Strings(IEnumerable<string> values) => new(values.Select(v => (YamlNode)Str(v)));

    public static string Write(YamlNode root)
    {
        using var text = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(root)).Save(text, assignAnchors: false);
        return text.ToString();
    }
}
