using System.CommandLine;
using KrautCli.Resources;

namespace KrautCli.Images;

/// <summary>What <c>kraut image</c> has beyond every kind's commands: content by upload or by URL.</summary>
public static class ImageCommands
{
    public static void AddTo(Command image, KindDef kind)
    {
        image.Subcommands.Add(ImageUpload.Build(kind));
        image.Subcommands.Add(ImageImport.Build(kind));
    }
}
