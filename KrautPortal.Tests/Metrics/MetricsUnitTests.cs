using System.Net;
using KrautPortal.Features.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Prometheus;

namespace KrautPortal.Tests.Metrics;

/// <summary>The allow list's forms and the series bookkeeping, without a portal.</summary>
public sealed class MetricsUnitTests
{
    private static MetricsAccess Access(params (string Key, string? Value)[] settings) =>
        MetricsAccess.From(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => s.Value)).Build());

    [Fact]
    public void WithoutAllowFrom_OnlyLoopback_IsAllowed_IPv4MappedToo()
    {
        var access = Access();

        Assert.True(access.AddressAllowed(IPAddress.Loopback));
        Assert.True(access.AddressAllowed(IPAddress.IPv6Loopback));
        Assert.True(access.AddressAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(access.AddressAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.False(access.AddressAllowed(null));
    }

    [Fact]
    public void AllowFrom_AsAList_AsCommaSeparatedText_OrEmptyForNobody()
    {
        var list = Access(("Metrics:AllowFrom:0", "10.1.2.0/24"), ("Metrics:AllowFrom:1", "2001:db8::5"));
        Assert.True(list.AddressAllowed(IPAddress.Parse("10.1.2.9")));
        Assert.True(list.AddressAllowed(IPAddress.Parse("2001:db8::5")));
        Assert.False(list.AddressAllowed(IPAddress.Loopback));

        var text = Access(("Metrics:AllowFrom", "10.1.2.0/24, 192.0.2.1"));
        Assert.True(text.AddressAllowed(IPAddress.Parse("192.0.2.1")));
        Assert.False(text.AddressAllowed(IPAddress.Parse("192.0.2.2")));

        var nobody = Access(("Metrics:AllowFrom", ""));
        Assert.False(nobody.AddressAllowed(IPAddress.Loopback));
    }

    [Fact]
    public void AnEntryThatIsNoAddress_StopsStartUp_NamingTheSetting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Access(("Metrics:AllowFrom:0", "intranet")));
        Assert.Contains("Metrics:AllowFrom", e.Message);
        Assert.Contains("intranet", e.Message);
    }

    [Theory]
    [InlineData("Bearer s3cret", MetricsAccess.Decision.Allowed)]
    [InlineData("bearer s3cret", MetricsAccess.Decision.Allowed)]
    [InlineData("Bearer s3cre", MetricsAccess.Decision.WrongToken)]
    [InlineData("Basic czNjcmV0", MetricsAccess.Decision.WrongToken)]
    [InlineData("", MetricsAccess.Decision.NoCredentials)]
    public void TheToken_IsJudgedByItself(string header, MetricsAccess.Decision expected)
    {
        var access = Access(("Metrics:Token", "s3cret"), ("Metrics:AllowFrom", ""));
        var http = new DefaultHttpContext();
        if (header.Length > 0) http.Request.Headers.Authorization = header;

        Assert.Equal(expected, access.Decide(http));
    }

    [Fact]
    public void ACounterReadingThatFalls_StartsTheSeriesAgain_AndAMissingSeriesIsRemoved()
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        var set = SeriesSet.ForCounter(factory, "test_total", "help", "vm");
        var counter = factory.CreateCounter("test_total", "help", "vm");

        set.BeginReading();
        set.Set(10, "a");
        set.Set(7, "b");
        set.EndReading();
        set.BeginReading();
        set.Set(3, "a");
        set.EndReading();

        Assert.Equal(3, counter.WithLabels("a").Value);
        Assert.DoesNotContain(counter.GetAllLabelValues(), l => l[0] == "b");
    }
}
