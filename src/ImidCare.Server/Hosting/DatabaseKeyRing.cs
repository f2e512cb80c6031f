using System.Xml.Linq;
using ImidCare.Server.Infrastructure;
using ImidCare.Server.Rems;
using ImidCare.Store;
using ImidCare.Store.Audit;
using ImidCare.Store.Entities;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ImidCare.Server.Hosting;

/// <summary>
/// The Data Protection key ring lives in the database every node shares, so a login cookie or an
/// antiforgery token made by one node is read by any other (the file-system default gives each
/// node its own keys). Microsoft.AspNetCore.DataProtection.EntityFrameworkCore does not restore
/// here; this is the same idea over ImidCareDb. Storing a key goes through the write gate, so the
/// audit trail records it (never the key material).
/// </summary>
public sealed class DatabaseXmlRepository(IDbContextFactory<ImidCareDb> dbs, WriteGate gate) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = dbs.CreateDbContext();
        return [.. db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.CreatedAt).Select(k => k.Xml).ToList().Select(x => XElement.Parse(x))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // The interface is synchronous; keys are created at start-up (see KeyRingWarmUp) and on rotation, rarely.
        gate.RunAsync((db, audit, now) =>
        {
            db.DataProtectionKeys.Add(new DataProtectionKeyRecord { Id = Guid.NewGuid().ToString("N"), FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting), CreatedAt = now });
            audit.Append(Actor.System, "dataprotection.key-stored", "system/dataprotection", audit.Data(new { friendlyName }));
            return Task.FromResult(0);
        }).GetAwaiter().GetResult();
    }
}

public static class KeyRing
{
    /// <summary>
    /// One application name for every node (the default is the content path, which may differ
    /// between machines). With <c>ImidCare:DataProtection:Certificate</c> (a PKCS #12 file with its
    /// private key, and <c>ImidCare:DataProtection:CertificatePassword</c> if it has one) every key
    /// is stored encrypted to that certificate, so a copy of the database (a backup, a read-only
    /// account) is not enough to forge a login cookie or an antiforgery token; without it the keys
    /// are stored as they are, and the framework warns at start-up.
    /// </summary>
    public static IServiceCollection AddDatabaseKeyRing(this IServiceCollection services, IConfiguration config)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("ImidCare");
        if (config["ImidCare:DataProtection:Certificate"] is { Length: > 0 } path)
        {
            var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(
                path, config["ImidCare:DataProtection:CertificatePassword"], System.Security.Cryptography.X509Certificates.X509KeyStorageFlags.EphemeralKeySet);
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"ImidCare:DataProtection:Certificate ({path}) has no private key: the keys it encrypts could not be read back.");
            }

            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }

        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new DatabaseXmlRepository(sp.GetRequiredService<IDbContextFactory<ImidCareDb>>(), sp.GetRequiredService<WriteGate>())));
        return services;
    }

    /// <summary>
    /// Makes sure a key exists before the first request, outside any write (a key created inside a
    /// gated write would wait for the gate it is in). On PostgreSQL nodes starting together take
    /// turns under an advisory lock, so the second finds the first one's key instead of making its own.
    /// </summary>
    public static async Task WarmUpAsync(IServiceProvider services, CancellationToken ct)
    {
        const long KeyRingLock = 0x1D1CA4F;
        var storage = services.GetRequiredService<StorageOptions>();
        await using var db = await services.GetRequiredService<IDbContextFactory<ImidCareDb>>().CreateDbContextAsync(ct);
        if (storage.Provider == StorageProvider.Postgres)
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({KeyRingLock})", ct);
        }

        try
        {
            services.GetRequiredService<IDataProtectionProvider>().CreateProtector("ImidCare.KeyRing.WarmUp").Protect([1]);
        }
        finally
        {
            if (storage.Provider == StorageProvider.Postgres)
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({KeyRingLock})", CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
