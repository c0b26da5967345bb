package cn.complaints.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The plugin's HTTP API for an ERP written in Java: the billing calls at fee collection (check,
 * checkBatch, apply, reverse, reconcile), signed with the shared secret, and the unit lookups of the
 * ERP's own screens, made for a signed-in user (see {@link UserTokens}).
 *
 * <p>A 503 (the plugin's database briefly unavailable) and a connection that failed are retried a bounded
 * number of times, waiting as the answer's Retry-After says (within a cap), with exactly the same body:
 * an apply is sent again with the same idempotency key, so it takes effect once whatever happened to the
 * first answer. Every other error is thrown as a {@link ComplaintsApiException} with the plugin's code.
 *
 * <pre>
 *   ComplaintsClient client = ComplaintsClient.builder("http://127.0.0.1:3000/complaints", secret).build();
 *   BillCheck check = client.check("B202611-1-101", List.of(new OffsetLine(7, 5000)));
 * </pre>
 * Thread-safe; build one per ERP and share it.
 */
public final class ComplaintsClient {
    private final String base;
    private final HttpClient http;
    private final ServiceSigner signer;
    private final Clock clock;
    private final int maxAttempts;
    private final Duration maxRetryWait;
    private final Duration timeout;
    private final String language;
    private final Sleeper sleeper;

    /** How the client waits between attempts (replaceable in tests). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private ComplaintsClient(Builder b) {
        this.base = b.baseUrl.replaceAll("/+$", "");
        this.http = b.http != null ? b.http : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        this.clock = b.clock;
        this.signer = new ServiceSigner(b.secret, b.clock);
        this.maxAttempts = b.maxAttempts;
        this.maxRetryWait = b.maxRetryWait;
        this.timeout = b.timeout;
        this.language = b.language;
        this.sleeper = b.sleeper;
    }

    /**
     * @param baseUrl the plugin's address with its routes prefix, e.g. {@code http://127.0.0.1:3000/complaints}
     * @param secret  the shared secret the service was started with ({@code complaints serve --secret})
     */
    public static Builder builder(String baseUrl, String secret) {
        return new Builder(baseUrl, secret);
    }

    public static final class Builder {
        private final String baseUrl;
        private final String secret;
        private HttpClient http;
        private Clock clock = Clock.systemUTC();
        private int maxAttempts = 3;
        private Duration maxRetryWait = Duration.ofSeconds(10);
        private Duration timeout = Duration.ofSeconds(30);
        private String language = "zh-CN";
        private Sleeper sleeper = d -> Thread.sleep(d.toMillis());

        private Builder(String baseUrl, String secret) {
            this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
            this.secret = Objects.requireNonNull(secret, "secret");
            URI uri = URI.create(baseUrl);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) throw new IllegalArgumentException("baseUrl must be http(s): " + baseUrl);
        }

        public Builder httpClient(HttpClient http) {
            this.http = http;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Attempts per call, the first included (default 3; 1 means never retry). */
        public Builder maxAttempts(int n) {
            if (n < 1 || n > 10) throw new IllegalArgumentException("maxAttempts must be 1 to 10");
            this.maxAttempts = n;
            return this;
        }

        /** The longest wait between attempts, whatever Retry-After asks (default 10 s). */
        public Builder maxRetryWait(Duration d) {
            this.maxRetryWait = d;
            return this;
        }

        /** Per request (default 30 s; month-end batches may need more). */
        public Builder timeout(Duration d) {
            this.timeout = d;
            return this;
        }

        /** The language of error messages: "zh-CN" (default) or "en". */
        public Builder language(String language) {
            if (!"zh-CN".equals(language) && !"en".equals(language)) throw new IllegalArgumentException("language is zh-CN or en");
            this.language = language;
            return this;
        }

        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = sleeper;
            return this;
        }

        public ComplaintsClient build() {
            return new ComplaintsClient(this);
        }
    }

    // ----- billing (signed service calls) --------------------------------------------------------

    /** May these offsets reduce this bill? Read-only. An empty list asks only for the bill's facts and warnings. */
    public BillCheck check(String billId, List<OffsetLine> offsets) {
        return BillCheck.from(call("POST", "/api/billing/check", new BillCheckRequest(billId, offsets).toJson(), null));
    }

    /** The same check for up to 10,000 bills in one call; answers in request order. */
    public List<BillCheck> checkBatch(List<BillCheckRequest> bills) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bills", bills.stream().map(BillCheckRequest::toJson).toList());
        return Read.list(Read.asObj(call("POST", "/api/billing/check-batch", body, null)), "bills", BillCheck::from);
    }

    /** Consumes an approved offset for a bill, once per idempotency key (your payment id). */
    public ApplyAnswer apply(ApplyRequest request) {
        return ApplyAnswer.from(call("POST", "/api/billing/apply", request.toJson(), null));
    }

    /** Restores an application once per reversal key (the payment was voided). */
    public ReversalAnswer reverse(ReverseRequest request) {
        return ReversalAnswer.from(call("POST", "/api/billing/reverse", request.toJson(), null));
    }

    /** Proves the money adds up, for every offset and every bill that took offsets. */
    public ReconcileReport reconcile() {
        return ReconcileReport.from(call("GET", "/api/billing/reconcile", null, null));
    }

    // ----- for a signed-in user (the ERP's own screens) ------------------------------------------

    /** Units by room label, owner name, phone or its last four digits, in the user's communities. */
    public List<Unit> searchUnits(String userToken, String query, int limit) {
        String path = "/api/units?q=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&limit=" + limit;
        return Read.list(Read.asObj(call("GET", path, null, Objects.requireNonNull(userToken, "userToken"))), "units", Unit::from);
    }

    /**
     * A unit's outstanding bills with the approved offsets that may go against each, as JSON (see the
     * OpenAPI document, operation unitBills).
     */
    public Map<String, Object> unitBills(String userToken, String unitId) {
        String path = "/api/units/" + URLEncoder.encode(unitId, StandardCharsets.UTF_8).replace("+", "%20") + "/bills";
        return Read.asObj(call("GET", path, null, Objects.requireNonNull(userToken, "userToken")));
    }

    // ----- transport -----------------------------------------------------------------------------

    private Object call(String method, String route, Map<String, Object> body, String userToken) {
        byte[] bytes = body == null ? new byte[0] : Json.write(body).getBytes(StandardCharsets.UTF_8);
        URI uri = URI.create(base + route);
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json").header("Accept-Language", language);
            if (userToken != null) request.header(UserTokens.HEADER, userToken);
            // Signed afresh on every attempt (the timestamp), over the same bytes.
            else signer.sign(method, uri.getRawPath(), bytes).forEach(request::header);
            if (body != null) request.header("Content-Type", "application/json; charset=utf-8").method(method, HttpRequest.BodyPublishers.ofByteArray(bytes));
            else request.method(method, HttpRequest.BodyPublishers.noBody());

            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The request may or may not have arrived: sending the same body again is safe (checks are
                // read-only, apply and reverse are keyed).
                if (attempt < maxAttempts) {
                    pause(backoff(attempt));
                    continue;
                }
                throw new UncheckedIOException("The complaints service did not answer " + method + " " + uri.getRawPath() + " after " + attempt + " attempts", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while calling the complaints service", e);
            }
            int status = response.statusCode();
            if (status == 503 && attempt < maxAttempts) {
                pause(retryAfter(response, attempt));
                continue;
            }
            if (status >= 200 && status < 300) return Json.parse(response.body());
            throw failure(response);
        }
    }

    private void pause(Duration d) {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting to retry", e);
        }
    }

    private Duration backoff(int attempt) {
        Duration d = Duration.ofMillis(500L << Math.min(attempt - 1, 6));
        return d.compareTo(maxRetryWait) > 0 ? maxRetryWait : d;
    }

    /** Retry-After in seconds or as an HTTP date; without one, the backoff. Never above maxRetryWait. */
    Duration retryAfter(HttpResponse<?> response, int attempt) {
        Duration wait = backoff(attempt);
        String header = response.headers().firstValue("Retry-After").orElse(null);
        if (header != null) {
            String v = header.trim();
            try {
                if (v.matches("\\d{1,9}")) wait = Duration.ofSeconds(Long.parseLong(v));
                else wait = Duration.between(clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (RuntimeException unreadable) {
                // keep the backoff
            }
        }
        if (wait.isNegative()) wait = Duration.ZERO;
        return wait.compareTo(maxRetryWait) > 0 ? maxRetryWait : wait;
    }

    private ComplaintsApiException failure(HttpResponse<String> response) {
        int status = response.statusCode();
        Map<String, Object> error = null;
        try {
            Object parsed = Json.parse(response.body());
            if (parsed instanceof Map<?, ?> m && m.get("error") instanceof Map<?, ?>) error = Read.obj(Read.asObj(parsed), "error");
        } catch (IllegalArgumentException notJson) {
            // an error page from a proxy, say
        }
        if (error == null) return new ComplaintsApiException(status, "http_" + status, truncate(response.body()), List.of(), null);
        List<ComplaintsApiException.FieldError> fields = new ArrayList<>();
        for (Map<String, Object> f : Read.list(error, "fields", Read::asObj)) fields.add(new ComplaintsApiException.FieldError(Read.str(f, "field"), Read.str(f, "message")));
        return new ComplaintsApiException(status, String.valueOf(error.get("code")), String.valueOf(error.get("message")), fields, error);
    }

    private static String truncate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
