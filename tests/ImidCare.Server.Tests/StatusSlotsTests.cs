using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Entities;
using NodaTime;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>
/// The status cache's store keeps entries as bytes in fixed slots (no objects for the collector to
/// move): what comes back is exactly what went in, what cannot come back exactly is not kept, and
/// the slots hold their bound, their sets' least-recently-used order and their stamps.
/// </summary>
public sealed class StatusSlotsTests
{
    private static readonly Instant At = Instant.FromUtc(2026, 12, 3, 14, 30, 15) + Duration.FromTicks(1234567);

    private static AuthorizationRecord Authorization(string number = "A1234567897", string patientId = "pat_slots_one") => new()
    {
        Number = number, PatientId = patientId, PrescriberId = "pre_slots", ProgramId = "LEN", Drug = "lenalidomide",
        Category = nameof(RiskCategory.AdultFemaleCanGetPregnant), DaysSupply = 28, IssuedAt = At, ValidThrough = new LocalDate(2026, 12, 9),
        ExpiresAt = At + Duration.FromDays(7), AnchorTestDate = new LocalDate(2026, 12, 2), State = "Active", Version = 3,
    };

    private static Patient Patient(string id = "pat_slots_one", string name = "Maria Slots — “quoted” 日本") => new()
    {
        Id = id, Name = name, DateOfBirth = new LocalDate(1988, 4, 17), Sex = "female", PrescriberId = "pre_slots",
        MenstrualPattern = "irregular", GuardianName = "Ana Slots", CreatedAt = At - Duration.FromDays(40),
    };

    private static ConfirmationFacts Facts() => new(
        ProgramCatalog.Lenalidomide, At, CertificationStatus.Certified, AuthorizationState.Confirmed, At + Duration.FromDays(7),
        CertificationStatus.Suspended, EnrollmentStatus.Inactive, RiskCategory.FemaleChildCanGetPregnant, [], true,
        new LocalDate(2026, 11, 30), new PreviousDispense(new LocalDate(2026, 11, 5), 21), At + Duration.FromHours(30));

    private static (AuthorizationRecord, Patient, ConfirmationFacts) RoundTrip(AuthorizationRecord a, Patient p, ConfirmationFacts f)
    {
        var bytes = new byte[StatusSlots.SlotBytes];
        StatusEntryCodec.TryEncode(a, p, f, bytes, out var length).ShouldBeTrue();
        return StatusEntryCodec.Decode(bytes.AsSpan(0, length), a.Number);
    }

    private static void ShouldBeSame<T>(T actual, T expected)
    {
        foreach (var property in typeof(T).GetProperties())
        {
            property.GetValue(actual).ShouldBe(property.GetValue(expected), $"{typeof(T).Name}.{property.Name}");
        }
    }

    [Fact]
    public void AnEntry_ComesBackFieldForField_WithEveryOptionalValuePresent()
    {
        var (a, p, f) = (Authorization(), Patient(), Facts());
        var (a2, p2, f2) = RoundTrip(a, p, f);
        ShouldBeSame(a2, a);
        ShouldBeSame(p2, p);
        f2.ShouldBe(f);
        ReferenceEquals(f2.Program, f.Program).ShouldBeTrue();
    }

    [Fact]
    public void AnEntry_ComesBackFieldForField_WithEveryOptionalValueAbsent()
    {
        var a = Authorization();
        a.AnchorTestDate = null;
        var p = Patient();
        p.GuardianName = null;
        var f = Facts() with
        {
            PharmacyCertification = null, PrescriberCertification = null, Enrollment = null, FirstPrescription = false,
            LastPatientSurvey = null, LastDispense = null, ExpiresBeforeOutage = null,
        };
        var (a2, p2, f2) = RoundTrip(a, p, f);
        ShouldBeSame(a2, a);
        ShouldBeSame(p2, p);
        f2.ShouldBe(f);
    }

    /// <summary>A field added to any of the three types must be written by the codec too, or the cache would answer without it.</summary>
    [Fact]
    public void TheCodec_KnowsEveryFieldOfWhatItKeeps()
    {
        string[] Names<T>() => [.. typeof(T).GetProperties().Select(p => p.Name).Order()];
        Names<AuthorizationRecord>().ShouldBe(["AnchorTestDate", "Category", "DaysSupply", "Drug", "ExpiresAt", "IssuedAt", "Number", "PatientId", "PrescriberId", "ProgramId", "State", "ValidThrough", "Version"]);
        Names<Patient>().ShouldBe(["CreatedAt", "DateOfBirth", "GuardianName", "Id", "MenstrualPattern", "Name", "PrescriberId", "Sex"]);
        Names<ConfirmationFacts>().ShouldBe([
            "AuthorizationExpiresAt", "AuthorizationState", "Category", "Enrollment", "ExpiresBeforeOutage", "FirstPrescription", "Holds",
            "LastDispense", "LastPatientSurvey", "Now", "PharmacyCertification", "PrescriberCertification", "Program"]);
    }

    [Fact]
    public void FewValuedStrings_ComeBackAsTheKeptInstances_TheRestAsNewStrings()
    {
        var a = Authorization();
        a.ProgramId = SharedStrings.Intern(a.ProgramId);
        a.Drug = SharedStrings.Intern(a.Drug);
        var (a2, p2, _) = RoundTrip(a, Patient(), Facts());
        ReferenceEquals(a2.ProgramId, a.ProgramId).ShouldBeTrue();
        ReferenceEquals(a2.Drug, a.Drug).ShouldBeTrue();
        ReferenceEquals(p2.Id, a2.PatientId).ShouldBeTrue("the patient's id is the authorization's");
    }

    [Fact]
    public void WhatCannotComeBackExactly_IsNotEncoded()
    {
        var bytes = new byte[StatusSlots.SlotBytes];
        var hold = new OpenHold("REMS.HOLD", "A survey answer showed risk.", []);
        StatusEntryCodec.TryEncode(Authorization(), Patient(), Facts() with { Holds = [hold] }, bytes, out _).ShouldBeFalse("open holds");
        StatusEntryCodec.TryEncode(Authorization(), Patient(), Facts() with { Now = At + Duration.FromNanoseconds(1) }, bytes, out _).ShouldBeFalse("finer than a tick");
        StatusEntryCodec.TryEncode(Authorization(), Patient(name: new string('x', 200)), Facts(), bytes, out _).ShouldBeFalse("past the slot");
        StatusEntryCodec.TryEncode(Authorization(), Patient(), Facts() with { Program = ProgramCatalog.Lenalidomide with { } }, bytes, out _).ShouldBeFalse("not the catalogue's program");
        var julian = Patient();
        julian.DateOfBirth = new LocalDate(1988, 4, 17, CalendarSystem.Julian);
        StatusEntryCodec.TryEncode(Authorization(), julian, Facts(), bytes, out _).ShouldBeFalse("another calendar");
    }

    private static readonly DataGeneration.Stamp Current = new(1, 0, 0);
    private static readonly DataGeneration.Stamp Stale = new(0, 0, 0);

    private static StatusSlots Slots(int bound) => new(bound, stamp => stamp == Current);

    private static void Put(StatusSlots slots, string number, string pharmacy = "phy_slots", DataGeneration.Stamp? stamp = null, string? name = null) =>
        slots.Put(stamp ?? Current, pharmacy, Authorization(number), Patient(name: name ?? "Patient of " + number), Facts()).ShouldBeTrue();

    private static bool Held(StatusSlots slots, string number, string pharmacy = "phy_slots") => slots.TryGet(number, pharmacy, At, out _);

    [Fact]
    public void AFullSet_MakesRoomByDroppingItsLeastRecentlyUsedEntry()
    {
        var slots = Slots(3);
        slots.Capacity.ShouldBe(3);
        Put(slots, "A1000000001");
        Put(slots, "A1000000002");
        Put(slots, "A1000000003");
        Held(slots, "A1000000001").ShouldBeTrue();
        Put(slots, "A1000000004");

        slots.Count.ShouldBe(3);
        Held(slots, "A1000000002").ShouldBeFalse("the least recently used goes");
        Held(slots, "A1000000001").ShouldBeTrue();
        Held(slots, "A1000000003").ShouldBeTrue();
        Held(slots, "A1000000004").ShouldBeTrue();
    }

    [Fact]
    public void TheSameKey_IsReplacedInPlace_AndEachPharmacyHasItsOwnEntry()
    {
        var slots = Slots(3);
        Put(slots, "A1000000001", name: "First Read");
        Put(slots, "A1000000001", name: "Read Again");
        Put(slots, "A1000000001", pharmacy: "phy_slots_other", name: "Other Pharmacy");
        slots.Count.ShouldBe(2);
        slots.TryGet("A1000000001", "phy_slots", At, out var mine).ShouldBeTrue();
        mine.Patient.Name.ShouldBe("Read Again");
        mine.Authorization.Number.ShouldBe("A1000000001");
        slots.TryGet("A1000000001", "phy_slots_other", At, out var theirs).ShouldBeTrue();
        theirs.Patient.Name.ShouldBe("Other Pharmacy");
        Held(slots, "A1000000001", "phy_slots_never").ShouldBeFalse();
    }

    [Fact]
    public void AStaleEntry_DoesNotAnswer()
    {
        var slots = Slots(8);
        Put(slots, "A1000000001", stamp: Stale);
        Held(slots, "A1000000001").ShouldBeFalse();
        Put(slots, "A1000000001");
        Held(slots, "A1000000001").ShouldBeTrue();
    }

    [Fact]
    public void ALargeStore_StaysWithinItsBound()
    {
        var slots = Slots(1000);
        slots.Capacity.ShouldBeLessThanOrEqualTo(1000);
        for (var i = 0; i < 5000; i++)
        {
            Put(slots, $"A{2000000000 + i}");
        }

        slots.Count.ShouldBe(slots.Capacity);
        Enumerable.Range(0, 5000).Count(i => Held(slots, $"A{2000000000 + i}")).ShouldBe(slots.Capacity);
    }

    [Fact]
    public void ANumberNotOfTheAuthorizationForm_IsNeverKept()
    {
        var slots = Slots(8);
        slots.Put(Current, "phy_slots", Authorization("C1234567897"), Patient(), Facts()).ShouldBeFalse();
        Held(slots, "C1234567897").ShouldBeFalse();
    }

    /// <summary>Readers and writers of the same few slots at once: every answer is one entry whole, never parts of two.</summary>
    [Fact]
    public async Task ConcurrentReadersAndWriters_NeverSeeAnEntryHalfWritten()
    {
        var slots = Slots(4);
        var numbers = Enumerable.Range(0, 16).Select(i => $"A{3000000000 + i}").ToArray();
        var torn = 0;
        var hits = 0;
        var until = DateTime.UtcNow.AddSeconds(1);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var random = new Random(t);
            while (DateTime.UtcNow < until)
            {
                var number = numbers[random.Next(numbers.Length)];
                if (random.Next(2) == 0)
                {
                    // Names of different lengths, so a torn read would not decode to a whole one.
                    Put(slots, number, name: number + new string('·', random.Next(30)) + number);
                }
                else if (slots.TryGet(number, "phy_slots", At, out var entry))
                {
                    Interlocked.Increment(ref hits);
                    var name = entry.Patient.Name;
                    if (entry.Authorization.Number != number || !name.StartsWith(number, StringComparison.Ordinal) || !name.EndsWith(number, StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            }
        }, TestContext.Current.CancellationToken)));

        hits.ShouldBeGreaterThan(0);
        torn.ShouldBe(0);
    }
}
