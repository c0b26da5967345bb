package cn.complaints.client;

import java.util.List;
import java.util.Map;

/** A unit (房屋) of the ERP as the plugin reads it through the mapping, with its live owners. */
public record Unit(String id, String label, String communityId, String communityName, List<Owner> owners) {
    /** An owner of the unit; {@code phone} may be null. */
    public record Owner(String id, String name, String phone) {
        static Owner from(Object json) {
            Map<String, Object> m = Read.asObj(json);
            return new Owner(Read.str(m, "id"), Read.str(m, "name"), Read.str(m, "phone"));
        }
    }

    static Unit from(Object json) {
        Map<String, Object> m = Read.asObj(json);
        return new Unit(Read.str(m, "id"), Read.str(m, "label"), Read.str(m, "communityId"), Read.str(m, "communityName"), Read.list(m, "owners", Owner::from));
    }
}
