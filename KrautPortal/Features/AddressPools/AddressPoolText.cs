using KrautPortal.Features.Store;

namespace KrautPortal.Features.AddressPools;

public static class AddressPoolText
{
    /// <summary>Whom a pool serves, from its owner.</summary>
    public static string For(string owner) => owner == Actor.SharedOwner ? "everyone" : owner;
}
