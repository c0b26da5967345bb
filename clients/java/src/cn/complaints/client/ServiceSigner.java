package cn.complaints.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a billing call as the plugin verifies it (src/http/serviceSignature.ts):
 * <pre>
 *   X-Complaints-Timestamp: epoch seconds
 *   X-Complaints-Signature: hex HMAC-SHA256(secret, timestamp + "\n" + METHOD + "\n" + path + "\n" + hex SHA-256(body))
 * </pre>
 * where path is the request path as sent (with the routes prefix, without the query string) and body the
 * exact bytes sent (none for a GET). The server refuses a timestamp more than five minutes from its clock,
 * so every attempt is signed afresh.
 */
public final class ServiceSigner {
    public static final String TIMESTAMP_HEADER = "X-Complaints-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Complaints-Signature";

    private final byte[] secret;
    private final Clock clock;

    public ServiceSigner(String secret, Clock clock) {
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("the shared secret is required");
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    /** The two headers for one request. */
    public Map<String, String> sign(String method, String rawPath, byte[] body) {
        String timestamp = Long.toString(clock.instant().getEpochSecond());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(TIMESTAMP_HEADER, timestamp);
        headers.put(SIGNATURE_HEADER, signature(secret, timestamp, method, rawPath, body));
        return headers;
    }

    static String signature(byte[] secret, String timestamp, String method, String rawPath, byte[] body) {
        String canonical = timestamp + "\n" + method.toUpperCase(java.util.Locale.ROOT) + "\n" + rawPath + "\n" + HexFormat.of().formatHex(sha256(body));
        return HexFormat.of().formatHex(hmacSha256(secret, canonical.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    static byte[] hmacSha256(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }
}
