// What the rest of the plugin may ask of the host's tables. HostGateway (gateway.ts) implements it
// through the mapping; domain code depends only on this interface.
export interface HostOwner {
  id: string;
  name: string;
  phone: string | null;
}

export interface HostUnit {
  id: string;
  label: string;
  communityId: string | null;
  communityName: string | null;
  owners: HostOwner[];
}

export interface HostBill {
  id: string;
  unitId: string;
  ownerId: string | null;
  amountFen: number;
  period: string | null;
  status: string | null;
  unpaid: boolean;
}

export interface HostReader {
  getUnit(unitId: string): Promise<HostUnit | null>;
  getUnits(unitIds: string[]): Promise<Map<string, HostUnit>>;
  searchUnits(query: string, opts?: { communityIds?: string[] | null; limit?: number }): Promise<HostUnit[]>;
  listCommunities(): Promise<Array<{ id: string; name: string }>>;
  getBill(billId: string): Promise<HostBill | null>;
  getBills(billIds: string[]): Promise<Map<string, HostBill>>;
  listUnpaidBills(unitId: string, limit?: number): Promise<HostBill[]>;
}
