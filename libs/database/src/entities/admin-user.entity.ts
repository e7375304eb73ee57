import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A bank administrator, with the powers of its roles (audit, payment reviews, TPPs, the ledger). Never a PSU or a TPP. */
@Entity({ name: 'admin_user' })
@Index('admin_user_username_key', ['username'], { unique: true })
export class AdminUserEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'admin_id' })
  adminId!: string;

  @Column({ type: 'text' })
  username!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'totp_secret_enc', type: 'text' })
  totpSecretEnc!: string;

  @Column({ name: 'failed_login_count', type: 'integer', default: 0 })
  failedLoginCount!: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'last_totp_step', type: 'bigint', nullable: true })
  lastTotpStep!: string | null;

  /**
   * One or more of `ADMIN_ROLES` (@consentry/identity), read on every request; the CHECK of migration
   * 1765900000000 refuses an unknown role and an empty list, and there is no default.
   */
  @Column({ type: 'text', array: true })
  roles!: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
