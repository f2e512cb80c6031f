using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ImidCare.Rules.Programs;
using ImidCare.Rules.Rems;
using ImidCare.Store.Entities;
using NodaTime;

namespace ImidCare.Server.Rems;

/// <summary>
/// A status-cache entry (an authorization, its patient, the facts a confirmation is decided on)
/// as bytes, so the cache can keep it in one array the collector never scans: see
/// <see cref="StatusSlots"/>. Decoding gives back objects equal to those encoded, field by field.
/// Anything it cannot give back exactly is refused (the entry is simply not cached, and the
/// status check reads the database): open holds, a value past the space, an instant finer than the
/// database's ticks, a program other than the catalogue's, a date outside the ISO calendar.
/// A test names every field of the three types, so one added later cannot be silently dropped.
/// </summary>
internal static class StatusEntryCodec
{
    private const byte Null = 0;
    private const byte Inline = 1;
    private const byte Kept = 2;
    private const byte SameAsPatientId = 3;

    /// <summary>Writes the entry; false (nothing usable written) when it cannot be given back exactly or does not fit.</summary>
    public static bool TryEncode(AuthorizationRecord a, Patient p, ConfirmationFacts f, Span<byte> into, out int written)
    {
        var w = new Writer(into);
        written = 0;
        var program = ProgramCatalog.All.IndexOf(f.Program, 0, ReferenceEqualityComparer.Instance);
        if (f.Holds.Count != 0 || program < 0)
        {
            return false;
        }

        // The authorization (its number is the cache's key).
        w.Text(a.PatientId);
        w.Text(a.PrescriberId, keep: true);
        w.Text(a.ProgramId, keep: true);
        w.Text(a.Drug, keep: true);
        w.Text(a.Category, keep: true);
        w.Int(a.DaysSupply);
        w.Instant(a.IssuedAt);
        w.Date(a.ValidThrough);
        w.Instant(a.ExpiresAt);
        w.Date(a.AnchorTestDate);
        w.Text(a.State, keep: true);
        w.Int(a.Version);

        // The patient.
        if (p.Id == a.PatientId)
        {
            w.Byte(SameAsPatientId);
        }
        else
        {
            w.Text(p.Id);
        }

        w.Text(p.Name);
        w.Date(p.DateOfBirth);
        w.Text(p.Sex, keep: true);
        w.Text(p.PrescriberId, keep: true);
        w.Text(p.MenstrualPattern, keep: true);
        w.Text(p.GuardianName);
        w.Instant(p.CreatedAt);

        // The facts (the program as its place in the catalogue: the catalogue's own instance).
        w.Int(program);
        w.Instant(f.Now);
        w.Int(f.PharmacyCertification is { } pc ? (int)pc : -1);
        w.Int((int)f.AuthorizationState);
        w.Instant(f.AuthorizationExpiresAt);
        w.Int(f.PrescriberCertification is { } rc ? (int)rc : -1);
        w.Int(f.Enrollment is { } e ? (int)e : -1);
        w.Int((int)f.Category);
        w.Byte(f.FirstPrescription ? (byte)1 : (byte)0);
        w.Date(f.LastPatientSurvey);
        w.Byte(f.LastDispense is null ? (byte)0 : (byte)1);
        if (f.LastDispense is { } d)
        {
            w.Date(d.DispensedOn);
            w.Int(d.DaysSupply);
        }

        w.Instant(f.ExpiresBeforeOutage);
        written = w.Position;
        return !w.Failed;
    }

    /// <summary>
    /// The entry written by <see cref="TryEncode"/>, with <paramref name="number"/> as the
    /// authorization's number and, when given, <paramref name="now"/> as the facts' time (a hit is decided at the call's time).
    /// </summary>
    public static (AuthorizationRecord Authorization, Patient Patient, ConfirmationFacts Facts) Decode(ReadOnlySpan<byte> from, string number, Instant? now = null)
    {
        var r = new Reader(from);
        var a = new AuthorizationRecord
        {
            Number = number,
            PatientId = r.Text()!,
            PrescriberId = r.Text()!,
            ProgramId = r.Text()!,
            Drug = r.Text()!,
            Category = r.Text()!,
            DaysSupply = r.Int(),
            IssuedAt = r.Instant()!.Value,
            ValidThrough = r.Date()!.Value,
            ExpiresAt = r.Instant()!.Value,
            AnchorTestDate = r.Date(),
            State = r.Text()!,
            Version = r.Int(),
        };
        var p = new Patient
        {
            Id = r.Text(a.PatientId)!,
            Name = r.Text()!,
            DateOfBirth = r.Date()!.Value,
            Sex = r.Text()!,
            PrescriberId = r.Text()!,
            MenstrualPattern = r.Text()!,
            GuardianName = r.Text(),
            CreatedAt = r.Instant()!.Value,
        };
        var program = ProgramCatalog.All[r.Int()];
        var at = r.Instant()!.Value;
        var pharmacy = r.Int();
        var state = (AuthorizationState)r.Int();
        var expires = r.Instant()!.Value;
        var prescriber = r.Int();
        var enrollment = r.Int();
        var category = (RiskCategory)r.Int();
        var first = r.Byte() == 1;
        var survey = r.Date();
        PreviousDispense? last = r.Byte() == 1 ? new PreviousDispense(r.Date()!.Value, r.Int()) : null;
        var outage = r.Instant();
        var f = new ConfirmationFacts(
            program, now ?? at, pharmacy < 0 ? null : (CertificationStatus)pharmacy, state, expires, prescriber < 0 ? null : (CertificationStatus)prescriber,
            enrollment < 0 ? null : (EnrollmentStatus)enrollment, category, [], first, survey, last, outage);
        return (a, p, f);
    }

    private ref struct Writer(Span<byte> into)
    {
        private readonly Span<byte> into = into;

        public int Position { get; private set; }

        public bool Failed { get; private set; }

        public void Byte(byte value)
        {
            if (Room(1))
            {
                into[Position++] = value;
            }
        }

        public void Int(int value)
        {
            if (Room(4))
            {
                BinaryPrimitives.WriteInt32LittleEndian(into[Position..], value);
                Position += 4;
            }
        }

        public void Long(long value)
        {
            if (Room(8))
            {
                BinaryPrimitives.WriteInt64LittleEndian(into[Position..], value);
                Position += 8;
            }
        }

        public void Instant(Instant? value)
        {
            Byte(value is null ? Null : Inline);
            if (value is { } v)
            {
                // The database keeps ticks; a finer instant would not come back as it was.
                var ticks = v.ToUnixTimeTicks();
                Failed |= NodaTime.Instant.FromUnixTimeTicks(ticks) != v;
                Long(ticks);
            }
        }

        public void Date(LocalDate? value)
        {
            Byte(value is null ? Null : Inline);
            if (value is { } v)
            {
                Failed |= v.Calendar != CalendarSystem.Iso;
                Int(v.ToDateOnly().DayNumber);
            }
        }

        /// <param name="keep">A few-valued column: its value is kept in <see cref="SharedStrings"/> (while there is room) and written as the index.</param>
        public void Text(string? value, bool keep = false)
        {
            if (value is null)
            {
                Byte(Null);
                return;
            }

            if (SharedStrings.IndexOf(value, keep) is var kept and >= 0)
            {
                Byte(Kept);
                Int(kept);
                return;
            }

            Byte(Inline);
            Int(value.Length);
            var bytes = MemoryMarshal.AsBytes(value.AsSpan());
            if (Room(bytes.Length))
            {
                bytes.CopyTo(into[Position..]);
                Position += bytes.Length;
            }
        }

        private bool Room(int n)
        {
            if (Failed || Position + n > into.Length)
            {
                Failed = true;
                return false;
            }

            return true;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> from)
    {
        private readonly ReadOnlySpan<byte> from = from;
        private int position;

        public byte Byte() => from[position++];

        public int Int()
        {
            var v = BinaryPrimitives.ReadInt32LittleEndian(from[position..]);
            position += 4;
            return v;
        }

        public long Long()
        {
            var v = BinaryPrimitives.ReadInt64LittleEndian(from[position..]);
            position += 8;
            return v;
        }

        public Instant? Instant() => Byte() == Null ? null : NodaTime.Instant.FromUnixTimeTicks(Long());

        public LocalDate? Date() => Byte() == Null ? null : LocalDate.FromDateOnly(DateOnly.FromDayNumber(Int()));

        public string? Text(string? patientId = null)
        {
            switch (Byte())
            {
                case Null:
                    return null;
                case Kept:
                    return SharedStrings.At(Int());
                case SameAsPatientId:
                    return patientId;
                default:
                    var length = Int();
                    var chars = MemoryMarshal.Cast<byte, char>(from.Slice(position, length * 2));
                    position += length * 2;
                    return new string(chars);
            }
        }
    }
}
