package cn.complaints.client;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Vouches for the ERP's signed-in user with a short-lived token (header {@code X-Complaints-User}), as the
 * plugin verifies it (src/auth/signedToken.ts, src/auth/adapter.ts):
 * {@code base64url(JSON claims) + "." + base64url(HMAC-SHA256(secret, first part))}, unpadded.
 * The claims are exactly sub, name, roles, communities (a list, or null for all communities said out
 * loud), iat and exp; the server refuses any other claim, any claim of the wrong shape, and a lifetime
 * above its cap ({@code userHeaderMaxLifetimeHours}, 12 hours unless changed). This class refuses the same
 * things before anything is sent, so a mistake shows up where it is made.
 */
public final class UserTokens {
    public static final String HEADER = "X-Complaints-User";
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    /** The server's default cap; pass the configured one to the constructor if it was changed. */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(12);

    private static final Pattern ROLE = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]*$");
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

    private final byte[] secret;
    private final Clock clock;
    private final Duration maxLifetime;

    /**
     * Who is signed in at the ERP. {@code roles} are the plugin's role names (counter_staff, supervisor,
     * manager, director, cashier, administrator); {@code communities} the host's community ids the person
     * may see, or null for all of them.
     */
    public record User(String id, String name, List<String> roles, List<String> communities) {
        public User {
            roles = List.copyOf(roles);
            communities = communities == null ? null : List.copyOf(communities);
        }

        /** A user limited to some communities. */
        public static User inCommunities(String id, String name, List<String> roles, List<String> communities) {
            if (communities == null) throw new IllegalArgumentException("communities: give a list (use allCommunities for everyone's)");
            return new User(id, name, roles, communities);
        }

        /** A user who sees every community (the token says communities: null). */
        public static User allCommunities(String id, String name, List<String> roles) {
            return new User(id, name, roles, null);
        }
    }

    public UserTokens(String secret) {
        this(secret, Clock.systemUTC(), DEFAULT_MAX_LIFETIME);
    }

    public UserTokens(String secret, Clock clock, Duration maxLifetime) {
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("the shared secret is required");
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
        this.maxLifetime = maxLifetime;
    }

    /** A token valid for five minutes. */
    public String sign(User user) {
        return sign(user, DEFAULT_TTL);
    }

    public String sign(User user, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero() || ttl.getSeconds() < 1) throw new IllegalArgumentException("ttl must be at least one second");
        if (ttl.compareTo(maxLifetime) > 0) throw new IllegalArgumentException("ttl " + ttl + " is above the server's lifetime cap " + maxLifetime);
        check(user);
        long iat = clock.instant().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", user.id());
        claims.put("name", user.name());
        claims.put("roles", user.roles());
        claims.put("communities", user.communities());
        claims.put("iat", iat);
        claims.put("exp", iat + ttl.getSeconds());
        String body = B64URL.encodeToString(Json.write(claims).getBytes(StandardCharsets.UTF_8));
        String signature = B64URL.encodeToString(ServiceSigner.hmacSha256(secret, body.getBytes(StandardCharsets.US_ASCII)));
        return body + "." + signature;
    }

    private static void check(User user) {
        List<String> problems = new ArrayList<>();
        checkId("id", user.id(), problems);
        if (user.name() == null || length(user.name()) < 1 || length(user.name()) > 100) problems.add("name must be 1 to 100 characters");
        if (user.roles().size() > 20) problems.add("at most 20 roles");
        if (new HashSet<>(user.roles()).size() != user.roles().size()) problems.add("roles must not repeat");
        for (String role : user.roles()) {
            if (role == null || role.length() > 40 || !ROLE.matcher(role).matches()) problems.add("role \"" + role + "\" must be a role name (letters, digits, _ . -; at most 40)");
        }
        if (user.communities() != null) {
            if (user.communities().size() > 5000) problems.add("at most 5000 communities");
            if (new HashSet<>(user.communities()).size() != user.communities().size()) problems.add("communities must not repeat");
            for (String community : user.communities()) checkId("community", community, problems);
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException("Cannot sign a user token: " + String.join("; ", problems));
    }

    private static void checkId(String what, String value, List<String> problems) {
        if (value == null || length(value) < 1 || length(value) > 64) {
            problems.add(what + " must be 1 to 64 characters");
            return;
        }
        if (value.codePoints().anyMatch(c -> Character.getType(c) == Character.CONTROL)) problems.add(what + " must not contain control characters");
    }

    /** Characters as the server's JSON Schema counts them (code points). */
    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
