using System.Text.Json.Nodes;

namespace KrautPortal.Tests.Cli;

/// <summary><c>kraut ssh-key list|add|remove</c>: a key made by ssh-keygen, from its .pub file, round trip.</summary>
[Collection(CliCollection.Name)]
public sealed class CliSshKeyTests(CliPortal portal)
{
    [Fact]
    public async Task SshKey_AddFromPubFile_List_RemoveByComment_AndAPrivateKeyIsRefused()
    {
        var keygen = Tool.PackagedFile("/usr/bin/ssh-keygen", "openssh-client");
        var dir = Directory.CreateTempSubdirectory("kraut-cli-key-").FullName;
        var key = Path.Combine(dir, "id_ed25519");
        var comment = Api.ApiClient.UniqueName("cli-key");
        Tool.Run(keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key);

        var added = JsonNode.Parse((await portal.ExpectAsync(0, "ssh-key", "add", key + ".pub", "-o", "json")).Out)!;
        try
        {
            Assert.Equal(comment, (string?)added["comment"]);
            var table = (await portal.ExpectAsync(0, "ssh-key", "list")).Out;
            Assert.Contains((string)added["fingerprint"]!, table, StringComparison.Ordinal);

            var privateKey = await portal.ExpectAsync(2, "ssh-key", "add", key);
            Assert.Contains("is a private key", privateKey.Err, StringComparison.Ordinal);
            var junk = await portal.ExpectAsync(2, "ssh-key", "add", "ssh-rsa AAAA short");
            Assert.StartsWith("Error: ", junk.Err, StringComparison.Ordinal);

            await portal.ExpectAsync(0, "ssh-key", "remove", comment);
            Assert.DoesNotContain(comment, (await portal.ExpectAsync(0, "ssh-key", "list")).Out, StringComparison.Ordinal);
            await portal.ExpectAsync(3, "ssh-key", "remove", comment);
        }
        finally
        {
            await portal.RunAsync("ssh-key", "remove", (string)added["id"]!);
            Directory.Delete(dir, recursive: true);
        }
    }
}
