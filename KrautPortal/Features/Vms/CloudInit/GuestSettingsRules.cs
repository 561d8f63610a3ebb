using KrautPortal.Features.SshKeys;
using KrautPortal.Features.Store;

namespace KrautPortal.Features.Vms.CloudInit;

/// <summary>Checks and tidies what the seed carries into the guest: host name, SSH keys, user-data.</summary>
public static class GuestSettingsRules
{
    public const int MaxKeys = 32;

    public static VmSpec Prepare(VmSpec spec, ValidationErrors errors)
    {
        var hostname = string.IsNullOrWhiteSpace(spec.Hostname) ? null : spec.Hostname.Trim().ToLowerInvariant();
        if (hostname is not null && !GuestHostname.IsValid(hostname))
            errors.Add("spec.hostname", $"'{spec.Hostname}' is not a host name: use letters, digits and hyphens (not at either end), at most {GuestHostname.MaxLength} characters, e.g. web-1.");

        var keys = new List<string>();
        var given = spec.SshAuthorizedKeys ?? [];
        if (given.Count > MaxKeys) errors.Add("spec.sshAuthorizedKeys", $"A VM takes at most {MaxKeys} SSH keys.");
        for (var i = 0; i < given.Count; i++)
        {
            if (!SshPublicKey.TryParse(given[i], out var key, out var problem)) errors.Add($"spec.sshAuthorizedKeys[{i}]", problem);
            else if (!keys.Contains(key.Line)) keys.Add(key.Line);
        }

        var userData = string.IsNullOrWhiteSpace(spec.UserData) ? null : spec.UserData.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (userData is not null)
        {
            if (userData.Length > UserDataWriter.MaxLength)
                errors.Add("spec.userData", $"user-data is limited to {UserDataWriter.MaxLength / 1024} KiB; this is {userData.Length / 1024} KiB.");
            else if (UserDataWriter.Problem(userData) is { } problem)
                errors.Add("spec.userData", problem);
        }
        return spec with { Hostname = hostname, SshAuthorizedKeys = keys, UserData = userData };
    }
}
