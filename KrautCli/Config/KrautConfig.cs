using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;
using KrautCli.Cli;

namespace KrautCli.Config;

/// <summary>One portal the CLI talks to: its address and where its token is.</summary>
public sealed class RemoteEntry
{
    public string Url { get; set; } = "";

    /// <summary>A file holding the token (preferred: the config file then holds no secret).</summary>
    public string? TokenFile { get; set; }

    /// <summary>The token itself, for people who write it into the file by hand.</summary>
    public string? Token { get; set; }
}

/// <summary><c>$XDG_CONFIG_HOME/kraut/config.yaml</c> (default <c>~/.config</c>): named remotes and the default one.</summary>
public sealed class KrautConfig
{
    public string? Default { get; set; }

    public SortedDictionary<string, RemoteEntry> Remotes { get; set; } = new(StringComparer.Ordinal);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string Directory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
                : xdg;
            return Path.Combine(root, "kraut");
        }
    }

    public static string FilePath => Path.Combine(Directory, "config.yaml");

    /// <summary>Where <c>remote add --token</c> keeps a remote's token.</summary>
    public static string TokenPath(string remote) => Path.Combine(Directory, "tokens", remote);

    public static KrautConfig Load()
    {
        if (!File.Exists(FilePath)) return new KrautConfig();
        try
        {
            var config = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
                .Deserialize<KrautConfig?>(File.ReadAllText(FilePath)) ?? new KrautConfig();
            config.Remotes = new SortedDictionary<string, RemoteEntry>(config.Remotes ?? [], StringComparer.Ordinal);
            return config;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new CliException($"{FilePath} is not valid: {e.Message}", ExitCodes.Failed);
        }
    }

    public void Save()
    {
        var yaml = new SerializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance)
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build().Serialize(this);
        WriteSecret(FilePath, yaml);
    }

    /// <summary>Writes a file only its owner may read, created that way (never world-readable for a moment).</summary>
    public static void WriteSecret(string path, string content)
    {
        // Each level made owner-only: CreateDirectory applies the mode to the innermost directory alone.
        const UnixFileMode ownerDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        System.IO.Directory.CreateDirectory(Directory, ownerDirectory);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!, ownerDirectory);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly,
        }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }
        // A file that existed before keeps its old mode on FileMode.Create: set it, then replace in one step.
        File.SetUnixFileMode(temporary, OwnerOnly);
        File.Move(temporary, path, overwrite: true);
    }
}
