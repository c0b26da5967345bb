package cn.complaints.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The payment was voided: restore the application made with {@code idempotencyKey}, once per
 * {@code reversalKey} (your voiding id). Send {@code billId} too: a key applied to another bill is then
 * answered as not found. {@code billId} and {@code operator} may be null.
 */
public record ReverseRequest(String idempotencyKey, String reversalKey, String billId, Operator operator) {
    public ReverseRequest {
        if (idempotencyKey == null || idempotencyKey.isBlank()) throw new IllegalArgumentException("idempotencyKey is required");
        if (reversalKey == null || reversalKey.isBlank()) throw new IllegalArgumentException("reversalKey (your voiding id) is required");
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idempotencyKey", idempotencyKey);
        m.put("reversalKey", reversalKey);
        if (billId != null) m.put("billId", billId);
        if (operator != null) m.put("operator", operator.toJson());
        return m;
    }
}
