using System.Collections.Concurrent;

namespace KrautPortal.Features.Images.Upload;

public enum TransferKind { Upload, Import, Cancel, Sweep }

/// <summary>
/// One transfer per image at a time: an upload, an import, or the cancel and sweep that clean up after them.
/// Whoever holds an image's slot alone writes its partial content and its transfer status.
/// </summary>
public sealed class ContentTransfers
{
    private readonly ConcurrentDictionary<Guid, Transfer> _active = new();

    /// <summary>The image's slot, or null while another transfer holds it.</summary>
    public Transfer? TryBegin(Guid imageId, TransferKind kind)
    {
        var transfer = new Transfer(this, imageId, kind);
        if (_active.TryAdd(imageId, transfer)) return transfer;
        transfer.Dispose();
        return null;
    }

    public TransferKind? ActiveKind(Guid imageId) => _active.TryGetValue(imageId, out var t) ? t.Kind : null;

    /// <summary>Stops whatever holds the image's slot, waits until it has let go, and takes the slot.</summary>
    public async Task<Transfer> TakeOverAsync(Guid imageId, TransferKind kind, CancellationToken ct)
    {
        while (true)
        {
            if (TryBegin(imageId, kind) is { } mine) return mine;
            if (_active.TryGetValue(imageId, out var running))
            {
                running.Cancel();
                await running.Finished.WaitAsync(ct);
            }
        }
    }

    /// <summary>Cancels every transfer (shutdown).</summary>
    public void CancelAll()
    {
        foreach (var transfer in _active.Values) transfer.Cancel();
    }

    private void Remove(Transfer transfer) => _active.TryRemove(new KeyValuePair<Guid, Transfer>(transfer.ImageId, transfer));

    /// <summary>A held slot: cancellable from outside; disposing it lets go.</summary>
    public sealed class Transfer : IDisposable
    {
        private readonly ContentTransfers _owner;
        private readonly CancellationTokenSource _cancel = new();
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Transfer(ContentTransfers owner, Guid imageId, TransferKind kind)
        {
            _owner = owner;
            ImageId = imageId;
            Kind = kind;
            Token = _cancel.Token;
        }

        public Guid ImageId { get; }
        public TransferKind Kind { get; }

        /// <summary>Cancelled when someone else (DELETE content, shutdown) stops this transfer.</summary>
        public CancellationToken Token { get; }

        public Task Finished => _finished.Task;

        public void Cancel()
        {
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // finished meanwhile
            }
        }

        public void Dispose()
        {
            _owner.Remove(this);
            _finished.TrySetResult();
            _cancel.Dispose();
        }
    }
}
