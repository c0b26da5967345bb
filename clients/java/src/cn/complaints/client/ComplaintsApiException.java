package cn.complaints.client;

import java.util.List;
import java.util.Map;

/**
 * The plugin answered with an error: {@code status} (400, 401, 403, 404, 409, 503 …), its stable
 * {@code code} (e.g. exceeds_remaining, idempotency_mismatch, signature_expired), the message in the
 * language asked for, the field errors, and the whole error object for the details some codes carry.
 */
public class ComplaintsApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final List<FieldError> fields;
    private final Map<String, Object> error;

    /** A field that was refused, and why. */
    public record FieldError(String field, String message) {}

    public ComplaintsApiException(int status, String code, String message, List<FieldError> fields, Map<String, Object> error) {
        super(status + " " + code + ": " + message);
        this.status = status;
        this.code = code;
        this.fields = List.copyOf(fields);
        this.error = error == null ? Map.of() : error;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<FieldError> fields() {
        return fields;
    }

    /** The error object as answered, with any details (e.g. remainingFen, openFen). */
    public Map<String, Object> error() {
        return error;
    }
}
