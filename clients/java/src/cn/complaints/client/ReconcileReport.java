package cn.complaints.client;

import java.util.List;
import java.util.Map;

/**
 * Proof that approved = applied − reversed + remaining + revoked for every offset, and ledger =
 * applications ≤ amount for every bill. {@code ok} false lists what does not add up (as JSON objects).
 */
public record ReconcileReport(boolean ok, long offsetsChecked, long billsChecked, List<Map<String, Object>> mismatches, List<Map<String, Object>> billMismatches, List<String> billsNotFound) {
    static ReconcileReport from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new ReconcileReport(
                Read.bool(m, "ok"),
                Read.num(m, "offsetsChecked"),
                Read.num(m, "billsChecked"),
                Read.list(m, "mismatches", Read::asObj),
                Read.list(m, "billMismatches", Read::asObj),
                Read.list(m, "billsNotFound", o -> (String) o));
    }
}
