using System.Threading.Channels;

namespace KrautPortal.Hypervisor;

/// <summary>One subscriber's own queue of domain lifecycle events; dispose to unsubscribe.</summary>
/// <remarks>
/// Every subscriber gets every event (fan-out), so two readers never steal events from each other.
/// The queue is bounded and drops the oldest event when a reader falls behind: a stuck subscriber
/// must not grow memory forever, and consumers treat events as hints and re-read the domain state.
/// The reader completes when the connection closes, which tells the consumer to reconnect.
/// </remarks>
public sealed class DomainEventSubscription : IDisposable
{
    internal const int Capacity = 1024;

    private readonly Channel<DomainLifecycleEvent> _channel = Channel.CreateBounded<DomainLifecycleEvent>(
        new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = false,
            SingleWriter = true, // only the libvirt event-loop thread writes
        });

    private readonly Action<DomainEventSubscription> _unsubscribe;

    internal DomainEventSubscription(Action<DomainEventSubscription> unsubscribe) => _unsubscribe = unsubscribe;

    public ChannelReader<DomainLifecycleEvent> Reader => _channel.Reader;

    public void Dispose()
    {
        _unsubscribe(this);
        Complete();
    }

    internal void Publish(DomainLifecycleEvent e) => _channel.Writer.TryWrite(e);

    internal void Complete() => _channel.Writer.TryComplete();
}
