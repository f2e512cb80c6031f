using System.Net;
using System.Net.Mail;

namespace ImidCare.Server.Reminders;

/// <summary>ImidCare:Smtp:* — off unless a host is configured. ImidCare:PublicUrl is the address the link in the email points to.</summary>
public sealed record SmtpOptions(string? Host, int Port, string From, bool EnableSsl, string? UserName, string? Password, string PublicUrl)
{
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);

    public static SmtpOptions Read(IConfiguration config) => new(
        config["ImidCare:Smtp:Host"],
        int.TryParse(config["ImidCare:Smtp:Port"], System.Globalization.CultureInfo.InvariantCulture, out var port) ? port : 25,
        config["ImidCare:Smtp:From"] ?? "ImidCare <no-reply@imidcare.invalid>",
        string.Equals(config["ImidCare:Smtp:EnableSsl"], "true", StringComparison.OrdinalIgnoreCase),
        config["ImidCare:Smtp:UserName"],
        config["ImidCare:Smtp:Password"],
        (config["ImidCare:PublicUrl"] ?? "http://127.0.0.1:5080").TrimEnd('/'));
}

/// <summary>
/// Sends the reminder email. It says only that a reminder is waiting, with a link to sign in:
/// email is not a private channel (it crosses servers we do not control and sits in shared or
/// family inboxes), so nothing in it names a medicine, a test, a date or a patient.
/// System.Net.Mail, because MailKit does not restore from this machine's package mirror.
/// </summary>
public sealed class ReminderMailer(SmtpOptions options)
{
    public const string Subject = "You have a reminder in ImidCare";

    public bool Enabled => options.Enabled;

    public static string Body(string publicUrl) =>
        $"You have a new reminder in ImidCare.\r\n\r\nSign in to read it: {publicUrl}/inbox\r\n\r\n"
        + "For your privacy this email does not say what the reminder is about.\r\n"
        + "To stop these emails, turn them off on your inbox page.\r\n";

    public async Task SendAsync(string to, CancellationToken ct)
    {
        using var message = new MailMessage(new MailAddress(ParseFrom(options.From).Address, ParseFrom(options.From).DisplayName), new MailAddress(to))
        {
            Subject = Subject,
            Body = Body(options.PublicUrl),
            IsBodyHtml = false,
        };
        using var client = new SmtpClient(options.Host, options.Port) { EnableSsl = options.EnableSsl, DeliveryMethod = SmtpDeliveryMethod.Network, Timeout = 30_000 };
        if (options.UserName is not null)
        {
            client.Credentials = new NetworkCredential(options.UserName, options.Password);
        }

        await client.SendMailAsync(message, ct);
    }

    private static MailAddress ParseFrom(string from) => new(from);
}
