using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>A read-write connection to one libvirt driver (qemu:///system, test:///default, ...).</summary>
/// <remarks>
/// Safe to use from several threads: libvirt's connection is thread-safe, the SafeHandle keeps it
/// open while any call is in flight, and the only mutable state here (subscribers, disposal) is
/// guarded. Domain and network objects hold their own libvirt reference and outlive Dispose safely.
/// </remarks>
public sealed partial class LibvirtConnection : IDisposable
{
    private const int VirDomainEventIdLifecycle = 0;
    private const int VirDomainEventIdReboot = 1;

    // A silent daemon is declared dead after interval * (count + 1) seconds, about 20 s.
    private const int KeepAliveIntervalSeconds = 5;
    private const uint KeepAliveCount = 3;

    private readonly ConnectHandle _handle;
    private readonly ConnectionEventSink _events;
    private readonly int _lifecycleCallbackId;
    private readonly int _rebootCallbackId = -1;
    private readonly bool _closeCallbackRegistered;
    private int _disposed;

    private LibvirtConnection(ConnectHandle handle)
    {
        _handle = handle;
        Uri = LibvirtError.TakeOwnedString(LibvirtNative.virConnectGetURI(handle), "virConnectGetURI");
        Hostname = LibvirtError.TakeOwnedString(LibvirtNative.virConnectGetHostname(handle), "virConnectGetHostname");
        IsTestDriver = SchemeOf(Uri) == "test";
        _events = new ConnectionEventSink(Uri);

        _lifecycleCallbackId = RegisterEvents(VirDomainEventIdLifecycle, ConnectionEventSink.LifecycleCallback);

        // Only a connection to a daemon can close under us. In-process drivers (test:///default) accept
        // a close callback as a silent no-op and never call its free callback, which would leak the
        // GCHandle; they are also the ones that reject keepalive, so keepalive tells them apart.
        try
        {
            _rebootCallbackId = RegisterEvents(VirDomainEventIdReboot, ConnectionEventSink.RebootCallback);
            _closeCallbackRegistered = EnableKeepAlive() && RegisterCloseCallback();
        }
        catch
        {
            // A registered event callback holds a reference on the connection: drop it, or Open's
            // cleanup could never really close the connection.
            LibvirtNative.virConnectDomainEventDeregisterAny(handle, _lifecycleCallbackId);
            if (_rebootCallbackId >= 0) LibvirtNative.virConnectDomainEventDeregisterAny(handle, _rebootCallbackId);
            throw;
        }
    }

    /// <summary>The canonical URI libvirt reports (virConnectGetURI), e.g. qemu:///system.</summary>
    public string Uri { get; }

    public string Hostname { get; }

    /// <summary>libvirt's test driver (scheme test, also test+unix through a daemon): fake guests.</summary>
    public bool IsTestDriver { get; }

    /// <summary>False once disposed, once libvirt reported the connection closed, or when the socket is dead.</summary>
    public bool IsAlive
    {
        get
        {
            if (Volatile.Read(ref _disposed) != 0 || _events.Closed.IsCompleted)
            {
                return false;
            }

            try
            {
                return LibvirtNative.virConnectIsAlive(_handle) == 1;
            }
            catch (ObjectDisposedException)
            {
                return false; // disposed by another thread since the check above
            }
        }
    }

    /// <summary>Completes when the connection closes: daemon gone (EOF, keepalive, error) or Dispose (Client).</summary>
    public Task<ConnectionCloseReason> Closed => _events.Closed;

    /// <summary>Opens a read-write connection, starting libvirt's event loop first if needed.</summary>
    public static LibvirtConnection Open(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        LibvirtEventLoop.EnsureStarted();
        var handle = LibvirtError.Check(LibvirtNative.virConnectOpen(uri), "virConnectOpen");
        try
        {
            return new LibvirtConnection(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Domain lifecycle events of this connection, in a queue of the caller's own.</summary>
    public DomainEventSubscription SubscribeDomainEvents()
    {
        ThrowIfDisposed();
        return _events.Subscribe();
    }

    public HostCapabilities GetCapabilities()
    {
        var xml = LibvirtError.TakeOwnedString(LibvirtNative.virConnectGetCapabilities(_handle), "virConnectGetCapabilities");
        return HostCapabilities.Parse(xml);
    }

    /// <summary>Every domain, running or not, persistent or transient.</summary>
    public IReadOnlyList<LibvirtDomain> ListAllDomains()
    {
        var count = LibvirtError.Check(LibvirtNative.virConnectListAllDomains(_handle, out var array, 0), "virConnectListAllDomains");
        var handles = TakeArray(array, count, p => new DomainHandle(p));
        return WrapAll(handles, h => new LibvirtDomain(h));
    }

    /// <summary>The domain with this UUID, or null when libvirt has none (VIR_ERR_NO_DOMAIN).</summary>
    public LibvirtDomain? FindDomain(Guid uuid)
    {
        var handle = LibvirtNative.virDomainLookupByUUIDString(_handle, uuid.ToString("D"));
        if (handle.IsInvalid)
        {
            var error = LibvirtError.Capture("virDomainLookupByUUIDString");
            handle.Dispose();
            return error.IsNoDomain ? null : throw error;
        }

        return new LibvirtDomain(handle);
    }

    /// <summary>Defines a persistent domain, or replaces the definition of the one with the same UUID.</summary>
    public LibvirtDomain DefineDomain(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtDomain(LibvirtError.Check(LibvirtNative.virDomainDefineXML(_handle, xml), "virDomainDefineXML"));
    }

    /// <summary>The network with this name, or null when libvirt has none (VIR_ERR_NO_NETWORK).</summary>
    public LibvirtNetwork? FindNetwork(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var handle = LibvirtNative.virNetworkLookupByName(_handle, name);
        if (handle.IsInvalid)
        {
            var error = LibvirtError.Capture("virNetworkLookupByName");
            handle.Dispose();
            return error.IsNoNetwork ? null : throw error;
        }

        return new LibvirtNetwork(handle);
    }

    /// <summary>Defines a persistent network (inactive until <see cref="LibvirtNetwork.Start"/>).</summary>
    public LibvirtNetwork DefineNetwork(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtNetwork(LibvirtError.Check(LibvirtNative.virNetworkDefineXML(_handle, xml), "virNetworkDefineXML"));
    }

    /// <summary>The network filter with this name, or null when libvirt has none (VIR_ERR_NO_NWFILTER).</summary>
    public LibvirtNwFilter? FindNwFilter(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var handle = LibvirtNative.virNWFilterLookupByName(_handle, name);
        if (handle.IsInvalid)
        {
            var error = LibvirtError.Capture("virNWFilterLookupByName");
            handle.Dispose();
            return error.IsNoNwFilter ? null : throw error;
        }

        return new LibvirtNwFilter(handle);
    }

    /// <summary>Defines a network filter, or replaces the one with the same name and UUID (guests using it get the new rules).</summary>
    public LibvirtNwFilter DefineNwFilter(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return new LibvirtNwFilter(LibvirtError.Check(LibvirtNative.virNWFilterDefineXML(_handle, xml), "virNWFilterDefineXML"));
    }

    public IReadOnlyList<LibvirtNetwork> ListAllNetworks()
    {
        var count = LibvirtError.Check(LibvirtNative.virConnectListAllNetworks(_handle, out var array, 0), "virConnectListAllNetworks");
        var handles = TakeArray(array, count, p => new NetworkHandle(p));
        return WrapAll(handles, h => new LibvirtNetwork(h));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Deregistering makes libvirt call the free callbacks, which release the GCHandles. Failures
        // are expected when the daemon is already gone; the connection is closed regardless.
        if (_lifecycleCallbackId >= 0)
        {
            LibvirtNative.virConnectDomainEventDeregisterAny(_handle, _lifecycleCallbackId);
        }

        if (_rebootCallbackId >= 0)
        {
            LibvirtNative.virConnectDomainEventDeregisterAny(_handle, _rebootCallbackId);
        }

        if (_closeCallbackRegistered)
        {
            LibvirtNative.virConnectUnregisterCloseCallback(_handle, ConnectionEventSink.CloseCallback);
        }

        _events.MarkClosed(ConnectionCloseReason.Client);
        _handle.Dispose();
    }

    public override string ToString() => Uri;

    /// <summary>For tests: callback registrations libvirt has not released yet.</summary>
    internal int LiveCallbackRegistrations => _events.LiveOpaques;

    /// <summary>For tests: whether the driver accepted a close callback (in-process drivers do not need one).</summary>
    internal bool HasCloseCallback => _closeCallbackRegistered;

    private int RegisterEvents(int eventId, IntPtr callback)
    {
        var opaque = _events.NewOpaque();
        var id = LibvirtNative.virConnectDomainEventRegisterAny(
            _handle, IntPtr.Zero, eventId, callback, opaque, ConnectionEventSink.FreeCallback);
        if (id < 0)
        {
            var error = LibvirtError.Capture("virConnectDomainEventRegisterAny");
            ConnectionEventSink.FreeOpaque(opaque);
            throw error;
        }

        return id;
    }

    private bool RegisterCloseCallback()
    {
        var opaque = _events.NewOpaque();
        if (LibvirtNative.virConnectRegisterCloseCallback(
                _handle, ConnectionEventSink.CloseCallback, opaque, ConnectionEventSink.FreeCallback) == 0)
        {
            return true;
        }

        var error = LibvirtError.Capture("virConnectRegisterCloseCallback");
        ConnectionEventSink.FreeOpaque(opaque);
        throw error;
    }

    /// <summary>True for a connection to a daemon (keepalive on, or not supported by an old daemon),
    /// false for an in-process driver.</summary>
    private bool EnableKeepAlive()
    {
        // 0: enabled; 1: the daemon does not support keepalive (still a remote connection).
        if (LibvirtNative.virConnectSetKeepAlive(_handle, KeepAliveIntervalSeconds, KeepAliveCount) >= 0)
        {
            return true;
        }

        var error = LibvirtError.Capture("virConnectSetKeepAlive");
        return error.IsUnsupported ? false : throw error;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private static string SchemeOf(string uri)
    {
        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? uri : uri[..colon];
        var plus = scheme.IndexOf('+', StringComparison.Ordinal); // test+unix:// is still the test driver
        return plus < 0 ? scheme : scheme[..plus];
    }

    /// <summary>Wraps every pointer of a libvirt-allocated array in its SafeHandle, then frees the array.</summary>
    private static List<T> TakeArray<T>(IntPtr array, int count, Func<IntPtr, T> wrap)
    {
        try
        {
            var result = new List<T>(count);
            for (var i = 0; i < count; i++)
            {
                result.Add(wrap(Marshal.ReadIntPtr(array, i * IntPtr.Size)));
            }

            return result;
        }
        finally
        {
            LibvirtNative.free(array);
        }
    }

    private static List<TOut> WrapAll<THandle, TOut>(List<THandle> handles, Func<THandle, TOut> wrap)
        where THandle : SafeHandle
    {
        var result = new List<TOut>(handles.Count);
        var i = 0;
        try
        {
            for (; i < handles.Count; i++)
            {
                result.Add(wrap(handles[i]));
            }

            return result;
        }
        catch
        {
            // The objects already built own their handles; release only the rest.
            for (; i < handles.Count; i++)
            {
                handles[i].Dispose();
            }

            throw;
        }
    }
}
