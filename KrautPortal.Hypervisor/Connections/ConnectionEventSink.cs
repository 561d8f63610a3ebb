using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KrautPortal.Hypervisor.Native;

namespace KrautPortal.Hypervisor;

/// <summary>Receives libvirt's callbacks for one connection and hands them to managed subscribers.</summary>
/// <remarks>
/// libvirt gets a GCHandle to this object as the callbacks' opaque pointer, one handle per
/// registration. libvirt calls the free callback exactly once, after the last possible callback,
/// and that is where the handle is freed: no callback can ever see a freed handle.
/// Callbacks run on the event-loop thread, so nothing here blocks or calls back into libvirt
/// beyond reading the borrowed domain's name and UUID.
/// </remarks>
internal sealed class ConnectionEventSink
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<ConnectionCloseReason> _closed =
        new(TaskCreationOptions.RunContinuationsAsynchronously); // keep continuations off the event-loop thread
    private ImmutableArray<DomainEventSubscription> _subscribers = [];
    private int _liveOpaques;

    public ConnectionEventSink(string uri) => Uri = uri;

    public string Uri { get; }

    public Task<ConnectionCloseReason> Closed => _closed.Task;

    public static unsafe IntPtr LifecycleCallback =>
        (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, int>)&OnLifecycle;

    public static unsafe IntPtr RebootCallback =>
        (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void>)&OnReboot;

    public static unsafe IntPtr CloseCallback =>
        (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void>)&OnClose;

    public static unsafe IntPtr FreeCallback =>
        (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&OnFree;

    /// <summary>GCHandles libvirt still holds; back to 0 after Dispose proves libvirt released every registration.</summary>
    public int LiveOpaques => Volatile.Read(ref _liveOpaques);

    /// <summary>A new opaque pointer for one registration; freed by <see cref="FreeCallback"/>.</summary>
    public IntPtr NewOpaque()
    {
        Interlocked.Increment(ref _liveOpaques);
        return GCHandle.ToIntPtr(GCHandle.Alloc(this));
    }

    /// <summary>Frees an opaque pointer: from libvirt's free callback, or when a registration failed
    /// (libvirt never calls the free callback then).</summary>
    public static void FreeOpaque(IntPtr opaque)
    {
        var handle = GCHandle.FromIntPtr(opaque);
        if (handle.Target is ConnectionEventSink sink)
        {
            Interlocked.Decrement(ref sink._liveOpaques);
        }

        handle.Free();
    }

    public DomainEventSubscription Subscribe()
    {
        var subscription = new DomainEventSubscription(Unsubscribe);
        lock (_gate)
        {
            if (_closed.Task.IsCompleted)
            {
                subscription.Complete();
                return subscription;
            }

            _subscribers = _subscribers.Add(subscription);
        }

        return subscription;
    }

    public void MarkClosed(ConnectionCloseReason reason)
    {
        ImmutableArray<DomainEventSubscription> subscribers;
        lock (_gate)
        {
            if (!_closed.TrySetResult(reason))
            {
                return;
            }

            subscribers = _subscribers;
            _subscribers = [];
        }

        foreach (var s in subscribers)
        {
            s.Complete();
        }
    }

    private void Unsubscribe(DomainEventSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Remove(subscription);
        }
    }

    private void Publish(DomainLifecycleEvent e)
    {
        // Reading an ImmutableArray field is atomic; the lock only serialises writers.
        foreach (var s in _subscribers)
        {
            s.Publish(e);
        }
    }

    private static ConnectionEventSink? FromOpaque(IntPtr opaque) =>
        opaque == IntPtr.Zero ? null : GCHandle.FromIntPtr(opaque).Target as ConnectionEventSink;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnLifecycle(IntPtr conn, IntPtr dom, int eventType, int detail, IntPtr opaque)
    {
        PublishFor(dom, opaque, (DomainEventType)eventType, detail);
        return 0;
    }

    /// <summary>VIR_DOMAIN_EVENT_ID_REBOOT: the guest was reset (its own reboot, or libvirt's fake reboot after ACPI).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnReboot(IntPtr conn, IntPtr dom, IntPtr opaque) => PublishFor(dom, opaque, DomainEventType.Rebooted, 0);

    private static unsafe void PublishFor(IntPtr dom, IntPtr opaque, DomainEventType type, int detail)
    {
        // An exception must never unwind into libvirt's C frames: that would kill the process.
        try
        {
            var sink = FromOpaque(opaque);
            if (sink is null)
            {
                return;
            }

            // dom is borrowed for the duration of the callback: read it, never free it.
            var name = NativeStrings.Borrowed(LibvirtNative.virDomainGetName(dom)) ?? "";
            var buf = stackalloc byte[NativeUuid.BufferLength];
            var uuid = LibvirtNative.virDomainGetUUIDString(dom, buf) == 0 ? NativeUuid.Parse(buf) : Guid.Empty;

            sink.Publish(new DomainLifecycleEvent(sink.Uri, uuid, name, type, detail));
        }
        catch (Exception)
        {
            // Dropping one event is the lesser evil; subscribers re-read state anyway.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnClose(IntPtr conn, int reason, IntPtr opaque)
    {
        try
        {
            FromOpaque(opaque)?.MarkClosed(Enum.IsDefined((ConnectionCloseReason)reason)
                ? (ConnectionCloseReason)reason
                : ConnectionCloseReason.Error);
        }
        catch (Exception)
        {
            // See OnLifecycle: never let an exception reach libvirt.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnFree(IntPtr opaque)
    {
        try
        {
            if (opaque != IntPtr.Zero)
            {
                FreeOpaque(opaque);
            }
        }
        catch (Exception)
        {
            // See OnLifecycle.
        }
    }
}
