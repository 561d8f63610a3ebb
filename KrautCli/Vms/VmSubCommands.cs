using System.CommandLine;

namespace KrautCli.Vms;

/// <summary>What <c>kraut vm</c> has beyond every kind's commands and the power actions: NICs, snapshots, backups, images.</summary>
public static class VmSubCommands
{
    public static void AddTo(Command vm)
    {
        vm.Subcommands.Add(VmNics.Build());
        vm.Subcommands.Add(VmSnapshots.Build());
        vm.Subcommands.Add(VmBackups.Build());
        vm.Subcommands.Add(VmImage.Build());
    }
}
