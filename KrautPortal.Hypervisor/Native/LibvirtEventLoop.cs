using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KrautPortal.Hypervisor.Native;

/// <summary>Process-wide libvirt set-up: silent error printer, default event loop on its own thread.</summary>
/// <remarks>
/// libvirt delivers domain events, close callbacks and keepalive pings only while some thread runs
/// virEventRunDefaultImpl, and the implementation must be registered before the first connection
/// is opened, so <see cref="EnsureStarted"/> runs before every virConnectOpen.
/// </remarks>
internal static class LibvirtEventLoop
{
    private static readonly Lock Gate = new();
    private static Thread? _thread;

    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_thread is not null)
            {
                return;
            }

            Initialize();
            _thread = new Thread(Run)
            {
                IsBackground = true, // the loop never ends on its own; it must not keep the process alive
                Name = "libvirt-event-loop",
            };
            _thread.Start();
        }
    }

    private static unsafe void Initialize()
    {
        LibvirtError.Check(LibvirtNative.virInitialize(), "virInitialize");

        // Without a handler libvirt prints every error to stderr; we surface them as exceptions instead.
        LibvirtNative.virSetErrorFunc(IntPtr.Zero, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void>)&IgnoreError);

        LibvirtError.Check(LibvirtNative.virEventRegisterDefaultImpl(), "virEventRegisterDefaultImpl");
    }

    private static void Run()
    {
        while (true)
        {
            if (LibvirtNative.virEventRunDefaultImpl() < 0)
            {
                // Only fails on a broken poll(); back off instead of spinning a core.
                Thread.Sleep(100);
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreError(IntPtr userData, IntPtr error)
    {
    }
}
