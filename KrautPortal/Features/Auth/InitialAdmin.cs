using System.Security.Cryptography;
using System.Text;
using KrautPortal.Hypervisor.Native;
using Microsoft.Extensions.Options;

namespace KrautPortal.Features.Auth;

/// <summary>
/// With no password file configured, Kraut keeps one in its data directory; the first time, it makes the
/// user <c>admin</c> with a random password, printed once in the log and kept in a root-only file, so a new
/// installation can be used at once and is never open to everyone.
/// </summary>
public static class InitialAdmin
{
    public const string User = "admin";
    public const string PasswordFile = "initial-admin-password";

    /// <summary>Defaults that need the data directory: the htpasswd file, and 'admin' as administrator of it.</summary>
    public static void ConfigureDefaults(AuthOptions options, KrautPaths paths)
    {
        if (!string.IsNullOrWhiteSpace(options.Htpasswd.File)) return;
        options.Htpasswd.File = Path.Combine(paths.Root, "htpasswd");
        if (!options.Admins.Contains(User)) options.Admins.Add(User);
    }

    public static void EnsureCreated(IOptions<AuthOptions> options, KrautPaths paths, ILogger logger)
    {
        var file = options.Value.Htpasswd.File;
        if (file is null || File.Exists(file) || Path.GetDirectoryName(Path.GetFullPath(file)) != paths.Root) return;

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', 'k').Replace('/', 'r');
        var hash = Encoding.ASCII.GetString(LibCrypt.Crypt(Encoding.UTF8.GetBytes(password), LibCrypt.NewSetting("$2y$", 10))
            ?? throw new InvalidOperationException("libxcrypt could not hash the initial password."));
        var secretFile = Path.Combine(paths.Root, PasswordFile);
        WritePrivate(secretFile, password + "\n");
        WritePrivate(file, $"{User}:{hash}\n");
        logger.LogWarning("Created the user '{User}' with password {Password} (also in {File}). Change it with: htpasswd -B {Htpasswd} {User}",
            User, password, secretFile, file, User);
    }

    private static void WritePrivate(string path, string text)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
