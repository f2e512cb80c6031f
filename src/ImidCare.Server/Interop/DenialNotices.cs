using System.Net.Http.Headers;
using System.Text;
using ImidCare.Rules;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Interop.Fhir;
using ImidCare.Server.Rems;
using ImidCare.Server.Security;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.EntityFrameworkCore;
using NodaTime;
using Duration = NodaTime.Duration;

namespace ImidCare.Server.Interop;

/// <summary>
/// When a pharmacy's request is denied, the prescriber's EHR is told what is missing with a FHIR
/// Communication (rems-admin's behaviour; request-generator lists Communication?recipient=).
/// Off unless ImidCare:Interop:EhrFhirBaseUrl is set. The notice is written to the outbox in the
/// denial's own transaction (with an audit record), so it is never lost and never delays or
/// fails the denial; <see cref="OutboxDispatcher"/> delivers it afterwards.
/// </summary>
public sealed class DenialNotices(IConfiguration config, OutboxSignal signal)
{
    public const string Kind = "fhir.communication";

    public string? BaseUrl => config["ImidCare:Interop:EhrFhirBaseUrl"] is { Length: > 0 } b ? b.TrimEnd('/') : null;

    public void Queue(ImidCareDb db, AuditWriter audit, Caller caller, PatientFacts facts, AuthorizationRecord? authorization, Decision denial, Instant now)
    {
        if (BaseUrl is not { } fhirBase || denial.IsAllowed)
        {
            return;
        }

        var id = Ids.New("out");
        var patient = facts.Patient;
        var missing = Requirements.Missing(denial);
        var text = new StringBuilder($"Dispensing DENIED for {authorization?.Drug ?? facts.Program.Drugs[0]} ({facts.Program.Name}).\n\nStill required:\n");
        var n = 1;
        foreach (var (requirement, reasons) in missing)
        {
            text.Append($"\n{n++}. {requirement.Name} ({requirement.Stakeholder.ToString().ToLowerInvariant()}): {string.Join(" ", reasons.Select(r => $"[{r.Code}] {r.Message}"))}");
        }

        text.Append($"\n\nCase Number: {RemsStatus.CaseNumber(facts)}\nPatient: {patient.Name} (DOB: {FhirFormat.Date(patient.DateOfBirth)})");
        var communication = new Communication
        {
            Id = FhirFormat.Id(id),

            // The EHR can tell a retried delivery from a new notice by this identifier.
            Identifier = [new Identifier("https://imidcare.example/fhir/sid/notification", id)],
            Status = "completed",
            Category = [CodeableConcept.Of("http://terminology.hl7.org/CodeSystem/communication-category", "notification", "Notification")],
            Priority = "urgent",
            Subject = FhirResources.PatientRef(patient.Id, patient.Name),
            Topic = new CodeableConcept([new Coding("http://terminology.hl7.org/CodeSystem/communication-topic", "progress-update", "Progress Update")],
                "Outstanding REMS Requirements for Medication Dispensing"),
            About = authorization is null ? null : [new FhirReference($"MedicationRequest/{FhirFormat.Id(authorization.Number)}")],
            Sent = FhirFormat.Instant(now),
            Recipient = [new FhirReference($"Practitioner/{FhirFormat.Id(patient.PrescriberId)}")],
            Sender = new FhirReference(Display: "ImidCare REMS Administrator"),
            Payload = [new CommunicationPayload(text.ToString())],
        };
        var subject = $"patient/{patient.Id}";
        db.Outbox.Add(new OutboxMessage
        {
            Id = id, Kind = Kind, Target = $"{fhirBase}/Communication", Subject = subject, PayloadJson = FhirJson.Serialize(communication),
            CreatedAt = now, NextAttemptAt = now, State = "pending",
        });
        audit.Append(caller.AsActor(caller.PharmacyId), "interop.notification-queued", subject,
            audit.Data(new { notification = id, kind = Kind, target = $"{fhirBase}/Communication", codes = denial.Reasons.Select(r => r.Code) }));
        signal.Poke();
    }
}

/// <summary>Wakes the dispatcher when a message is queued, instead of waiting for its next poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim wake = new(0);

    public void Poke()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => wake.WaitAsync(timeout, ct);
}

/// <summary>
/// Delivers outbox messages: POST with a 5 s timeout; 2xx is delivered, anything else is retried
/// after 2, 4, 8 … seconds (by the injected clock, at most 5 minutes apart) and given up after
/// <see cref="MaxAttempts"/>. Each message is claimed in the write gate before it is sent, so two
/// nodes sharing PostgreSQL never send it together; every outcome is audited. It runs only when
/// an EHR base URL is configured.
/// </summary>
public sealed class OutboxDispatcher(WriteGate gate, IDbContextFactory<ImidCareDb> dbs, IClock clock, IHttpClientFactory clients, DenialNotices notices, OutboxSignal signal, ILogger<OutboxDispatcher> log) : BackgroundService
{
    public const int MaxAttempts = 6;

    private static readonly Duration Lease = Duration.FromSeconds(30);

    private static readonly Actor Dispatcher = new("outbox", "system");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (notices.BaseUrl is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DeliverOneAsync(stoppingToken))
                {
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be briefly unavailable; the messages wait for the next round.
                log.LogWarning(e, "Outbox round failed.");
            }

            try
            {
                await signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Claims and sends the next due message; false when none is due.</summary>
    public async Task<bool> DeliverOneAsync(CancellationToken ct)
    {
        // A plain read first: the write gate (and its lock) only when something is due.
        await using (var peek = await dbs.CreateDbContextAsync(ct))
        {
            var now = clock.GetCurrentInstant();
            if (!await peek.Outbox.AnyAsync(x => x.State == "pending" && x.NextAttemptAt <= now, ct))
            {
                return false;
            }
        }

        var claimed = await gate.RunAsync(async (db, _, now) =>
        {
            var m = await db.Outbox.Where(x => x.State == "pending" && x.NextAttemptAt <= now).OrderBy(x => x.NextAttemptAt).FirstOrDefaultAsync(ct);
            if (m is not null)
            {
                m.NextAttemptAt = now + Lease;
                m.Attempts++;
            }

            return m is null ? null : new { m.Id, m.Target, m.PayloadJson, m.Attempts };
        }, ct);
        if (claimed is null)
        {
            return false;
        }

        string? error = null;
        int? status = null;
        try
        {
            using var http = clients.CreateClient("ehr");
            using var content = new StringContent(claimed.PayloadJson, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue(FhirJson.MediaType);
            using var resp = await http.PostAsync(claimed.Target, content, ct);
            status = (int)resp.StatusCode;
            error = resp.IsSuccessStatusCode ? null : $"HTTP {status}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            error = e is TaskCanceledException ? "timed out" : e.Message;
        }

        await gate.RunAsync(async (db, audit, now) =>
        {
            var m = await db.Outbox.FirstAsync(x => x.Id == claimed.Id, ct);
            if (error is null)
            {
                m.State = "delivered";
                m.FinishedAt = now;
                m.LastError = null;
                audit.Append(Dispatcher, "interop.notification-delivered", m.Subject, audit.Data(new { notification = m.Id, m.Target, m.Attempts, status }));
            }
            else if (m.Attempts >= MaxAttempts)
            {
                m.State = "failed";
                m.FinishedAt = now;
                m.LastError = error;
                audit.Append(Dispatcher, "interop.notification-failed", m.Subject, audit.Data(new { notification = m.Id, m.Target, m.Attempts, error }));
            }
            else
            {
                m.LastError = error;
                m.NextAttemptAt = now + Duration.FromSeconds(Math.Min(300, 1 << m.Attempts));
                audit.Append(Dispatcher, "interop.notification-retry", m.Subject, audit.Data(new { notification = m.Id, m.Target, m.Attempts, error, next = m.NextAttemptAt }));
            }

            return 0;
        }, ct);
        return true;
    }
}
