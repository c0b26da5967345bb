package cn.complaints.client;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Consume {@code amountFen} of an approved offset for a bill. {@code idempotencyKey} is your payment id
 * (one key per offset line): sending it again returns the same answer, with other parameters it is
 * refused (idempotency_mismatch). {@code operator} may be null.
 */
public record ApplyRequest(long offsetId, String billId, long amountFen, String idempotencyKey, Operator operator) {
    public ApplyRequest {
        if (offsetId < 1) throw new IllegalArgumentException("offsetId must be positive");
        if (billId == null || billId.isEmpty()) throw new IllegalArgumentException("billId is required");
        if (amountFen < 1) throw new IllegalArgumentException("amountFen must be at least 1 fen");
        if (idempotencyKey == null || idempotencyKey.isBlank()) throw new IllegalArgumentException("idempotencyKey (your payment id) is required");
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("offsetId", offsetId);
        m.put("billId", billId);
        m.put("amountFen", amountFen);
        m.put("idempotencyKey", idempotencyKey);
        if (operator != null) m.put("operator", operator.toJson());
        return m;
    }
}
