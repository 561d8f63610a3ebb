namespace KrautPortal.Features.BackupSchedules;

/// <summary>
/// Backs up one VM (<see cref="VmId"/>) or every VM its owner may see that matches <see cref="Selector"/>, at every
/// <see cref="Every"/>, keeping the newest <see cref="Keep"/> completed backups it took per VM.
/// </summary>
public sealed record BackupScheduleSpec
{
    /// <summary>A VM label selector as the store's (<c>env=prod</c>); exactly one of it and <see cref="VmId"/>.</summary>
    public string? Selector { get; init; }
    public Guid? VmId { get; init; }

    /// <summary>hourly, daily, weekly, or an interval such as <c>6h</c>, <c>30m</c>, <c>2d</c>.</summary>
    public string Every { get; init; } = "daily";

    /// <summary>Completed backups kept per VM (the retention); older ones go, unless a kept one builds on them.</summary>
    public int Keep { get; init; } = 7;

    /// <summary>Every n-th backup of a chain is full (null: incremental whenever one can be), so chains stay short.</summary>
    public int? FullEvery { get; init; }
}

/// <summary>What happened to one VM at the last run.</summary>
/// <param name="BackupId">The backup taken; null when it was refused (<paramref name="Refusal"/> says why).</param>
/// <param name="Verification">"verified at …, ok" or why the chain or its test restore failed; null until checked.</param>
public sealed record ScheduleVmResult(Guid VmId, string VmName, Guid? BackupId, string? Refusal, string? Verification = null);

public sealed record BackupScheduleStatus
{
    /// <summary>When the last run started: the next one is due <see cref="BackupScheduleSpec.Every"/> after it.</summary>
    public DateTime? LastRunAt { get; init; }
    public DateTime? NextRunAt { get; init; }
    public IReadOnlyList<ScheduleVmResult> LastResults { get; init; } = [];

    /// <summary>Backups retention removed at the last passes (names), for the record.</summary>
    public IReadOnlyList<string> Removed { get; init; } = [];
    public string? Error { get; init; }
}
