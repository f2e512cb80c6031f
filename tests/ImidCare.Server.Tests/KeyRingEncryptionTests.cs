using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ImidCare.Server.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Shouldly;

namespace ImidCare.Server.Tests;

/// <summary>A server given a certificate for its Data Protection keys (a self-signed one made for the test).</summary>
public sealed class EncryptedKeyRingApp : SqliteApp
{
    // The certificate's folder goes with the server that used it (every run left one in /tmp).
    private readonly TempFolder folder = TempFolder.Create("imidcare-keyring-");
    private string? pfx;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["ImidCare:DataProtection:Certificate"] = LazyInitializer.EnsureInitialized(ref pfx, () =>
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=ImidCare key ring (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            var path = folder.File("keyring.pfx");
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, "test-password"));
            return path;
        }),
        ["ImidCare:DataProtection:CertificatePassword"] = "test-password",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        folder.Dispose();
    }
}

public sealed class KeyRingEncryptionTests(EncryptedKeyRingApp app) : IClassFixture<EncryptedKeyRingApp>
{
    [Fact]
    public async Task WithACertificate_TheKeysAreStoredEncrypted_AndLoginsStillWork()
    {
        // A web login makes an antiforgery token and a cookie with the key ring; a protected page reads the cookie back.
        using var web = await app.WebLoginAsync("dr.park", "demo-park-2026");
        var page = await web.GetAsync("/office/", TestContext.Current.CancellationToken);
        page.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        await using var db = await app.DbAsync();
        var keys = await db.DataProtectionKeys.Select(k => k.Xml).ToListAsync(TestContext.Current.CancellationToken);
        keys.ShouldNotBeEmpty();
        foreach (var xml in keys)
        {
            // Without a certificate the key's secret is stored in the clear, in <masterKey><value>.
            xml.ShouldContain("<encryptedSecret");
            xml.ShouldNotContain("<masterKey");
        }
    }
}
