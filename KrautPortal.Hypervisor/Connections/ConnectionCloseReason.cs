namespace KrautPortal.Hypervisor;

/// <summary>Why a connection closed (virConnectCloseReason).</summary>
public enum ConnectionCloseReason
{
    /// <summary>Misc I/O error.</summary>
    Error = 0,

    /// <summary>The daemon closed the socket, e.g. libvirtd restarted.</summary>
    EndOfFile = 1,

    /// <summary>The daemon stopped answering keepalive pings.</summary>
    Keepalive = 2,

    /// <summary>This process closed it (Dispose).</summary>
    Client = 3,
}
