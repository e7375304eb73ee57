import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The product an account is an instance of (OB Product). */
@Entity({ name: 'product' })
@Index('product_account_idx', ['accountId', 'productId'])
export class ProductEntity {
  @PrimaryColumn({ name: 'product_id', type: 'text' })
  productId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'product_name', type: 'text' })
  productName!: string;

  @Column({ name: 'product_type', type: 'text' })
  productType!: string;

  @Column({ name: 'secondary_product_id', type: 'text', nullable: true })
  secondaryProductId!: string | null;

  @Column({ name: 'marketing_state_id', type: 'text', nullable: true })
  marketingStateId!: string | null;
}
