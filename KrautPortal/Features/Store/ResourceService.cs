using System.Text.Json.Nodes;

namespace KrautPortal.Features.Store;

/// <summary>
/// Create, read, list, change, delete, history and revert for one kind, with that kind's rules applied.
/// The API and the portal both go through here, so they cannot drift apart.
/// </summary>
public sealed class ResourceService<TSpec, TStatus>(ResourceStore store, IResourceRules<TSpec, TStatus> rules, IKindAuthorizer authorizer,
    IEnumerable<IWriteGate> gates)
    where TSpec : class
    where TStatus : class
{
    public const int MaxMetadataBytes = 64 * 1024;

    /// <summary>
    /// Levels of nesting metadata may have, counting itself. Responses wrap it a few levels deeper (list items,
    /// history snapshots) and the JSON writer stops at 32, so deeper metadata would be stored but never served again.
    /// </summary>
    public const int MaxMetadataDepth = 16;

    /// <summary>How often a write without If-Match is recomputed on fresh data when other writers keep winning.</summary>
    private const int MaxAttempts = 50;

    /// <summary>Set on the copy <see cref="AsKraut"/> returns: it acts as Kraut, not as whoever is signed in.</summary>
    private Actor? _kraut;

    public KindInfo Kind => rules.Kind;
    private string K => rules.Kind.Name;
    /// <summary>The caller, once allowed to do <paramref name="verb"/> to this kind (403 and an audit entry if not).</summary>
    private Actor As(string verb, Guid? id = null) => _kraut ?? authorizer.Demand(verb, rules.Kind, id);

    /// <summary>
    /// This service acting as Kraut itself (<see cref="Actor.System"/>), with the kind's rules as usual: the way a
    /// reconciler makes, changes and deletes the system objects it keeps on an owner's behalf (a network's router VM):
    /// <c>vms.AsKraut().CreateAsync(new ResourceInput&lt;VmSpec&gt;(name, metadata, spec, Owner: network.Owner), ct, isSystem: true)</c>,
    /// then <see cref="ReplaceAsync"/>, <see cref="UpdateSpecAsync"/> or <see cref="DeleteAsync"/> on the same copy.
    /// Nobody else may change a system object; see <see cref="ResourceStore.EnsureNotSystem"/>.
    /// </summary>
    public ResourceService<TSpec, TStatus> AsKraut() => new(store, rules, authorizer, _gates) { _kraut = Actor.System };

    /// <summary>The gates that care about this kind (<see cref="IWriteGate"/>).</summary>
    private readonly IWriteGate[] _gates = gates.Where(g => g.Guards(rules.Kind.Name)).ToArray();

    /// <param name="id">A chosen id, for callers that store something beside the object in the same transaction.</param>
    /// <param name="isSystem">A system object, hidden from its owner; only on <see cref="AsKraut"/> (403 otherwise).</param>
    public async Task<Resource<TSpec, TStatus>> CreateAsync(ResourceInput<TSpec> input, CancellationToken ct, bool isSystem = false, Guid? id = null)
    {
        var actor = As(Verbs.Create);
        var newId = id ?? Guid.CreateVersion7();
        var row = await InTransactionIfNeededAsync(async () =>
        {
            var errors = new ValidationErrors();
            CheckCommon(input.Name, input.Metadata, actor, errors);
            var spec = await rules.PrepareAsync(input.Spec, null, actor, errors, ct);
            var owner = OwnerFor(input.Owner, actor);
            if (rules is IOwnerRules<TSpec> owned) await owned.CheckOwnerAsync(spec, owner, actor, errors, ct);
            errors.ThrowIfAny();
            await GateAsync(new GatedWrite(Kind, newId, owner, spec, null, isSystem, actor), ct);
            spec = await WritingAsync(newId, spec, null, actor, ct);
            if (rules is ICreatingRules<TSpec> creating)
            {
                await store.LockAsync(creating.LockName, ct);
                spec = await creating.CreatingAsync(newId, spec, input.Metadata, actor, ct);
            }
            return await store.CreateAsync(new NewResource(K, input.Name, owner, input.Metadata,
                KrautJson.Serialize(spec), KrautJson.Serialize(rules.InitialStatus(spec)), isSystem, newId), actor, ct);
        }, ct);
        rules.Changed(row.Id);
        return await ShownAsync(Resource<TSpec, TStatus>.FromRow(row), actor, ct);
    }

    /// <summary>
    /// The spec a create of <paramref name="input"/> would store, checked as the create checks it (authorization, metadata,
    /// the kind's rules, the owner), without its name's uniqueness and without writing anything: a dry run.
    /// </summary>
    public async Task<TSpec> PrepareCreateAsync(ResourceInput<TSpec> input, CancellationToken ct)
    {
        var actor = As(Verbs.Create);
        var errors = new ValidationErrors();
        CheckCommon(input.Name, input.Metadata, actor, errors);
        var spec = await rules.PrepareAsync(input.Spec, null, actor, errors, ct);
        var owner = OwnerFor(input.Owner, actor);
        if (rules is IOwnerRules<TSpec> owned) await owned.CheckOwnerAsync(spec, owner, actor, errors, ct);
        errors.ThrowIfAny();
        return spec;
    }

    /// <summary>
    /// Why creating an object named <paramref name="name"/> would be refused for its name (its form, or the caller
    /// already has one so named), in the words creating would use; null when the name would do. Writes nothing.
    /// </summary>
    public async Task<string?> NewNameProblemAsync(string name, CancellationToken ct)
    {
        var actor = As(Verbs.Create);
        if (ResourceNames.Problem(name) is { } problem) return problem;
        return await store.NameTakenProblemAsync(K, OwnerFor(null, actor), name, ct);
    }

    /// <summary>
    /// Kinds with rows beside their objects write both in one transaction, and so do gated kinds: the gate's reads must
    /// hold until the write commits. The others need none.
    /// </summary>
    private Task<T> InTransactionIfNeededAsync<T>(Func<Task<T>> work, CancellationToken ct) =>
        rules is ITransactionalRules<TSpec> or ICreatingRules<TSpec> || _gates.Length > 0 ? store.InTransactionAsync(work, ct) : work();

    /// <summary>Inside the write's transaction, before anything of it is stored: a gate's refusal leaves nothing behind.</summary>
    private async Task GateAsync(GatedWrite write, CancellationToken ct)
    {
        foreach (var gate in _gates) await gate.CheckAsync(write, ct);
    }

    private async Task<TSpec> WritingAsync(Guid id, TSpec spec, TSpec? previous, Actor actor, CancellationToken ct)
    {
        if (rules is not ITransactionalRules<TSpec> transactional) return spec;
        var errors = new ValidationErrors();
        spec = await transactional.WritingAsync(id, spec, previous, actor, errors, ct);
        errors.ThrowIfAny();
        return spec;
    }

    public async Task<Resource<TSpec, TStatus>> GetAsync(Guid id, CancellationToken ct)
    {
        var actor = As(Verbs.Read, id);
        return await ShownAsync(Resource<TSpec, TStatus>.FromRow(await store.GetAsync(K, id, actor, ct)), actor, ct);
    }

    public async Task<Resource<TSpec, TStatus>?> FindAsync(Guid id, CancellationToken ct)
    {
        var actor = As(Verbs.Read, id);
        return await store.FindAsync(K, id, actor, ct) is { } row ? await ShownAsync(Resource<TSpec, TStatus>.FromRow(row), actor, ct) : null;
    }

    public async Task<Page<Resource<TSpec, TStatus>>> ListAsync(ListQuery query, CancellationToken ct)
    {
        var actor = As(Verbs.Read);
        var page = await store.ListAsync(K, query, actor, ct);
        var items = page.Items.Select(Resource<TSpec, TStatus>.FromRow).ToList();
        return new Page<Resource<TSpec, TStatus>>(rules is IStatusView<TSpec, TStatus> view ? await view.ShownToAsync(items, actor, ct) : items, page.Continue);
    }

    /// <summary>The object as <paramref name="actor"/> may see it (see <see cref="IStatusView{TSpec,TStatus}"/>).</summary>
    private async Task<Resource<TSpec, TStatus>> ShownAsync(Resource<TSpec, TStatus> resource, Actor actor, CancellationToken ct) =>
        rules is IStatusView<TSpec, TStatus> view ? (await view.ShownToAsync([resource], actor, ct))[0] : resource;

    public Task<int> CountAsync(string? selector, CancellationToken ct) => store.CountAsync(K, selector, As(Verbs.Read), ct);

    public Task<List<Guid>> ListIdsAsync(string? selector, int max, CancellationToken ct) => store.ListIdsAsync(K, selector, As(Verbs.Read), max, ct);

    /// <summary>Replaces name, metadata and spec (PUT).</summary>
    public Task<Resource<TSpec, TStatus>> ReplaceAsync(Guid id, long? expectedVersion, ResourceInput<TSpec> input, CancellationToken ct) =>
        ModifyAsync(id, expectedVersion, _ => Task.FromResult<Edit?>(new Edit(input.Name, input.Metadata, input.Spec, "replaced")), ct);

    /// <summary>Applies a JSON merge patch (RFC 7396) to <c>{name, metadata, spec}</c>.</summary>
    public Task<Resource<TSpec, TStatus>> PatchAsync(Guid id, long? expectedVersion, JsonObject patch, CancellationToken ct) =>
        ModifyAsync(id, expectedVersion, current =>
        {
            var document = new JsonObject
            {
                ["name"] = current.Name,
                ["metadata"] = current.Metadata.DeepClone(),
                ["spec"] = KrautJson.ToNode(current.Spec),
            };
            var merged = JsonMergePatch.Apply(document, patch) as JsonObject ?? new JsonObject();
            var input = RequestBody.ToInput<TSpec>(merged);
            return Task.FromResult<Edit?>(new Edit(input.Name, input.Metadata, input.Spec, JsonDiff.Describe(document, merged)));
        }, ct);

    /// <summary>Changes the spec only, e.g. for an action; <paramref name="change"/> is what history records.</summary>
    /// <param name="verb">What a token must allow: "update", or an action such as "start".</param>
    public Task<Resource<TSpec, TStatus>> UpdateSpecAsync(Guid id, long? expectedVersion, Func<TSpec, TSpec> update, string change, CancellationToken ct,
        string verb = Verbs.Update) =>
        ModifyAsync(id, expectedVersion, current => Task.FromResult<Edit?>(new Edit(current.Name, current.Metadata, update(current.Spec), change)), ct, verb);

    public Task<Resource<TSpec, TStatus>> UpdateMetadataAsync(Guid id, long? expectedVersion, JsonObject metadata, CancellationToken ct) =>
        ModifyAsync(id, expectedVersion, current => Task.FromResult<Edit?>(new Edit(current.Name, metadata, current.Spec, "metadata changed")), ct);

    /// <summary>Makes a new version equal to an old one (owner and status stay as they are).</summary>
    public Task<Resource<TSpec, TStatus>> RevertAsync(Guid id, long toVersion, long? expectedVersion, CancellationToken ct) =>
        ModifyAsync(id, expectedVersion, async current =>
        {
            var old = await store.GetVersionAsync(K, id, toVersion, As(Verbs.Read, id), ct);
            var spec = RequestBody.ReadSpec<TSpec>(old.Snapshot.Spec);
            return new Edit(old.Snapshot.Name, (JsonObject)old.Snapshot.Metadata.DeepClone(), spec, $"reverted to version {toVersion}");
        }, ct);

    /// <summary>Deletes now, or marks for deletion when a reconciler must first remove the real object (and returns it, marked).</summary>
    public async Task<(DeleteOutcome Outcome, Resource<TSpec, TStatus>? Marked)> DeleteAsync(Guid id, long? expectedVersion, CancellationToken ct)
    {
        var actor = As(Verbs.Delete, id);
        var row = await store.GetAsync(K, id, actor, ct);
        // Before the kind's own checks: who may not delete a shared object gets 403, not the names of every VM using it.
        ResourceStore.EnsureWritable(row, actor);
        var current = Resource<TSpec, TStatus>.FromRow(row);
        if (expectedVersion is { } v && v != current.Version) throw new PreconditionFailedException(v, current.Version);
        await rules.EnsureDeletableAsync(current, actor, ct);
        if (!rules.DeletesAsynchronously)
        {
            await store.DeleteAsync(K, id, expectedVersion ?? current.Version, actor, ct);
            rules.Changed(id);
            return (DeleteOutcome.Deleted, null);
        }
        if (current.DeletionRequestedAt is null)
        {
            current = Resource<TSpec, TStatus>.FromRow(await store.RequestDeletionAsync(K, id, expectedVersion, actor, ct));
        }
        rules.Changed(id);
        return (DeleteOutcome.Deleting, await ShownAsync(current, actor, ct));
    }

    public Task<IReadOnlyList<HistoryEntry>> HistoryAsync(Guid id, CancellationToken ct) => store.HistoryAsync(K, id, As(Verbs.Read, id), ct);

    public Task<HistoryVersion> GetVersionAsync(Guid id, long version, CancellationToken ct) => store.GetVersionAsync(K, id, version, As(Verbs.Read, id), ct);

    public async Task<IReadOnlyList<JsonChange>> DiffAsync(Guid id, long from, long to, CancellationToken ct)
    {
        var actor = As(Verbs.Read, id);
        var a = await store.GetVersionAsync(K, id, from, actor, ct);
        var b = await store.GetVersionAsync(K, id, to, actor, ct);
        return JsonDiff.Compute(KrautJson.ToNode(a.Snapshot), KrautJson.ToNode(b.Snapshot));
    }

    private sealed record Edit(string Name, JsonObject Metadata, TSpec Spec, string Change);

    /// <summary>
    /// Reads the current object, computes and validates the edit, then stores it only if nobody changed the
    /// object meanwhile. Without If-Match a lost race starts over on fresh data; with one it is a 412.
    /// </summary>
    private async Task<Resource<TSpec, TStatus>> ModifyAsync(Guid id, long? expectedVersion, Func<Resource<TSpec, TStatus>, Task<Edit?>> compute,
        CancellationToken ct, string verb = Verbs.Update)
    {
        var actor = As(verb, id);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (result, changed) = await InTransactionIfNeededAsync(async () =>
                {
                    var current = Resource<TSpec, TStatus>.FromRow(await store.GetAsync(K, id, actor, ct));
                    // Before the kind's rules run: an edit of a system object is refused whatever it would change.
                    ResourceStore.EnsureNotSystem(current.System, current.Name, current.Owner, actor);
                    if (expectedVersion is { } v && v != current.Version) throw new PreconditionFailedException(v, current.Version);
                    if (current.DeletionRequestedAt is not null)
                        throw new ConflictException($"This {Kind.Singular} is being deleted and can no longer be changed.");

                    var edit = await compute(current);
                    if (edit is null) return (current, false);
                    var errors = new ValidationErrors();
                    CheckCommon(edit.Name, edit.Metadata, actor, errors);
                    var spec = await rules.PrepareAsync(edit.Spec, current, actor, errors, ct);
                    errors.ThrowIfAny();
                    await GateAsync(new GatedWrite(Kind, id, current.Owner, spec, current.Spec, current.System, actor), ct);
                    spec = await WritingAsync(id, spec, current.Spec, actor, ct);

                    var row = await store.UpdateAsync(K, id, current.Version, actor, row =>
                    {
                        row.Name = edit.Name;
                        row.Metadata = KrautJson.Write(edit.Metadata);
                        row.Spec = KrautJson.Serialize(spec);
                        return edit.Change;
                    }, ct);
                    return (Resource<TSpec, TStatus>.FromRow(row), true);
                }, ct);
                if (changed) rules.Changed(id);
                return await ShownAsync(result, actor, ct);
            }
            catch (PreconditionFailedException) when (expectedVersion is null)
            {
                // Someone else wrote first; recompute the edit on their version. Every lost race means another write
                // landed, so with N writers at once a few rounds suffice; a random pause keeps them from colliding in step.
                // The client sent no If-Match, so a 412 naming one would be wrong: give up with a plain conflict.
                if (attempt == MaxAttempts)
                    throw new ConflictException($"This {Kind.Singular} is being changed by many writers at once; try again.");
                await Task.Delay(Random.Shared.Next(1, 5 + attempt), ct);
            }
        }
    }

    /// <summary>The creator, or a group of theirs (any owner for administrators): nobody makes objects for others.</summary>
    private static string OwnerFor(string? requested, Actor actor)
    {
        if (string.IsNullOrWhiteSpace(requested) || requested == actor.Name) return actor.Name;
        if (actor.IsAdmin || actor.Groups.Contains(requested)) return requested;
        throw new ForbiddenException($"You may create objects owned by yourself or one of your groups ({string.Join(", ", actor.Groups.DefaultIfEmpty("none"))}), not by '{requested}'.");
    }

    private static void CheckCommon(string name, JsonObject metadata, Actor actor, ValidationErrors errors)
    {
        // A token limited to a selector may only make or leave objects inside it.
        if (!Selectors.SelectorMatcher.Matches(ResourceStore.ScopeSelector(actor), metadata))
            errors.Add("metadata", $"This token only reaches objects whose metadata matches '{actor.Scope!.Selector}'.");
        if (ResourceNames.Problem(name) is { } nameProblem) errors.Add("name", nameProblem);
        var size = System.Text.Encoding.UTF8.GetByteCount(KrautJson.Write(metadata));
        if (size > MaxMetadataBytes) errors.Add("metadata", $"Metadata may be at most {MaxMetadataBytes / 1024} KiB as JSON (this is {size / 1024} KiB).");
        var depth = Depth(metadata);
        if (depth > MaxMetadataDepth) errors.Add("metadata", $"Metadata may be nested at most {MaxMetadataDepth} levels deep (this is {depth}).");
    }

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray a => 1 + a.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}

public enum DeleteOutcome { Deleted, Deleting }
